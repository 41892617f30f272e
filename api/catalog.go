package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
)

func (s *Server) catalogRoutes(g *gin.RouterGroup) {
	g.GET("/event-types", s.listEventTypes)
	g.PUT("/event-types/:name", s.putEventType)
}

func (s *Server) listEventTypes(c *gin.Context) {
	ets, err := s.Store.EventTypes(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	type group struct {
		Name       string             `json:"name"`
		EventTypes []herald.EventType `json:"event_types"`
	}
	groups := []group{}
	for _, et := range ets {
		if len(groups) == 0 || groups[len(groups)-1].Name != et.Group {
			groups = append(groups, group{Name: et.Group})
		}
		g := &groups[len(groups)-1]
		g.EventTypes = append(g.EventTypes, et)
	}
	c.PureJSON(http.StatusOK, gin.H{"data": ets, "groups": groups, "next_cursor": ""})
}

func (s *Server) putEventType(c *gin.Context) {
	name := c.Param("name")
	if err := validID("name", name); err != nil {
		s.writeError(c, err)
		return
	}
	var in struct {
		Description string          `json:"description"`
		Group       string          `json:"group"`
		Schema      json.RawMessage `json:"schema"`
		Example     json.RawMessage `json:"example"`
		Archived    bool            `json:"archived"`
	}
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	for field, raw := range map[string]json.RawMessage{"schema": in.Schema, "example": in.Example} {
		if len(raw) > 0 && string(raw) != "null" && !isObject(raw) {
			s.writeError(c, &herald.Error{Code: herald.EInvalid, Message: field + " must be a JSON object",
				Details: []herald.ErrorDetail{{Field: field, Message: "must be a JSON object"}}})
			return
		}
	}
	et := herald.EventType{Name: name, Description: in.Description, Group: in.Group, Archived: in.Archived,
		Schema: nullable(in.Schema), Example: nullable(in.Example)}
	if err := s.Store.UpsertEventType(c.Request.Context(), et); err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, et)
}

func isObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}

func nullable(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}
