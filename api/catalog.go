package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/catalog"
)

// catalogRoutes: anyone authenticated reads the catalog (users pick events from it); only the
// backend changes it.
func (s *Server) catalogRoutes(g *gin.RouterGroup) {
	g.GET("/event-types", s.listEventTypes)
	g.GET("/event-types/:name", s.getEventType)
	g.PUT("/event-types/:name", s.adminOnly(), s.putEventType)
	g.DELETE("/event-types/:name", s.adminOnly(), s.deleteEventType)
}

// eventTypeGroup is one group of the catalog with its types.
type eventTypeGroup struct {
	Name       string             `json:"name"`
	EventTypes []herald.EventType `json:"event_types"`
}

// listEventTypes answers the whole catalog twice over: "data" lists every type (ordered by
// group, then name) and "groups" the same types grouped, in the same order.
func (s *Server) listEventTypes(c *gin.Context) {
	ets, err := s.Store.EventTypes(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	groups := []eventTypeGroup{}
	for _, et := range ets {
		if len(groups) == 0 || groups[len(groups)-1].Name != et.Group {
			groups = append(groups, eventTypeGroup{Name: et.Group})
		}
		g := &groups[len(groups)-1]
		g.EventTypes = append(g.EventTypes, et)
	}
	c.PureJSON(http.StatusOK, gin.H{"data": ets, "groups": groups, "next_cursor": ""})
}

func (s *Server) getEventType(c *gin.Context) {
	et, err := s.Store.EventType(c.Request.Context(), c.Param("name"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, et)
}

// eventTypeRequest is the body of PUT /event-types/{name}.
type eventTypeRequest struct {
	Description string          `json:"description"`
	Group       string          `json:"group"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
	Archived    bool            `json:"archived"`
}

// putEventType creates or replaces an event type. The schema must compile and the example
// must be valid data for it; otherwise nothing is stored.
func (s *Server) putEventType(c *gin.Context) {
	name := c.Param("name")
	if err := validID("name", name); err != nil {
		s.writeError(c, err)
		return
	}
	var in eventTypeRequest
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	et, err := validateEventType(name, in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	if err := s.Store.UpsertEventType(ctx, et); err != nil {
		s.writeError(c, err)
		return
	}
	stored, err := s.Store.EventType(ctx, name)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, stored)
}

func validateEventType(name string, in eventTypeRequest) (herald.EventType, error) {
	var d []herald.ErrorDetail
	add := func(field, msg string) { d = append(d, herald.ErrorDetail{Field: field, Message: msg}) }
	if len(in.Description) > 2000 {
		add("description", "must be at most 2000 characters")
	}
	if len(in.Group) > 200 {
		add("group", "must be at most 200 characters")
	}
	et := herald.EventType{Name: name, Description: in.Description, Group: in.Group, Archived: in.Archived,
		Schema: compactJSON(in.Schema), Example: compactJSON(in.Example)}
	for field, raw := range map[string]json.RawMessage{"schema": et.Schema, "example": et.Example} {
		if raw != nil && !isObject(raw) {
			add(field, "must be a JSON object")
		}
	}
	if len(d) > 0 {
		return et, &herald.Error{Code: herald.EInvalid, Message: "the event type is not valid", Details: d}
	}
	if et.Schema == nil {
		return et, nil
	}
	sch, err := catalog.Compile(et.Schema)
	if err != nil {
		return et, err // a validation error on the field "schema"
	}
	if et.Example != nil {
		if d := sch.Validate("example", et.Example); len(d) > 0 {
			return et, &herald.Error{Code: herald.EInvalid, Message: "the example does not match the schema", Details: d}
		}
	}
	return et, nil
}

// deleteEventType deletes an event type nothing refers to (204), archives one that events or
// webhooks refer to and answers it (200).
func (s *Server) deleteEventType(c *gin.Context) {
	archived, err := s.Store.DeleteEventType(c.Request.Context(), c.Param("name"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	if archived == nil {
		c.Status(http.StatusNoContent)
		return
	}
	c.PureJSON(http.StatusOK, archived)
}

func isObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}

// compactJSON is raw without insignificant whitespace; nil for an absent value or null.
func compactJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}
