package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/catalog"
	"github.com/herald-webhooks/herald/starter"
)

// catalogRoutes: anyone authenticated reads the catalog (users pick events from it); only the
// backend changes it.
func (s *Server) catalogRoutes(g *gin.RouterGroup) {
	g.GET("/event-types", s.listEventTypes)
	g.GET("/event-types/:name", s.getEventType)
	g.PUT("/event-types/:name", s.adminOnly(), s.putEventType)
	g.PATCH("/event-types/:name", s.adminOnly(), s.patchEventType)
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

// eventTypeRequest is the body of PUT /event-types/{name}, and of a PATCH once merged into the
// stored type. A nil field was absent; schema and example are "null" when sent as null.
type eventTypeRequest struct {
	Description *string         `json:"description"`
	Group       *string         `json:"group"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
	Archived    bool            `json:"archived"`
}

// putEventType creates or replaces an event type with the full representation in the body
// (archived omitted is false: a PUT makes the type current). Replacing never erases silently:
// a member the body omits while the stored type has a value for it is a 422 naming it; ""
// clears description or group, null clears schema or example, and PATCH changes single members. The schema must compile and the example
// must be valid data for it; otherwise nothing is stored.
func (s *Server) putEventType(c *gin.Context) {
	name := c.Param("name")
	if err := herald.ValidateID("name", name); err != nil {
		s.writeError(c, err)
		return
	}
	var in eventTypeRequest
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	current, err := s.Store.EventType(ctx, name)
	switch {
	case err == nil:
		if err := omittedMembers(in, current); err != nil {
			// Name what is wrong with the members given too, in the same answer.
			var given *herald.Error
			if _, verr := validateEventType(name, in); errors.As(verr, &given) {
				err.Details = append(given.Details, err.Details...)
			}
			s.writeError(c, err)
			return
		}
	case herald.ErrorCode(err) != herald.ENotFound:
		s.writeError(c, err)
		return
	}
	s.saveEventType(c, name, in)
}

// omittedMembers is the error of a PUT that leaves out members the stored type has, nil when
// it leaves out none.
func omittedMembers(in eventTypeRequest, current herald.EventType) *herald.Error {
	var d []herald.ErrorDetail
	const msg = "omitted, but the stored type has one: PUT replaces the whole type, so send it (\"\" clears description or group, null clears schema or example), or change single members with PATCH"
	if in.Description == nil && current.Description != "" {
		d = append(d, herald.ErrorDetail{Field: "description", Message: msg})
	}
	if in.Group == nil && current.Group != "" {
		d = append(d, herald.ErrorDetail{Field: "group", Message: msg})
	}
	if in.Schema == nil && current.Schema != nil {
		d = append(d, herald.ErrorDetail{Field: "schema", Message: msg})
	}
	if in.Example == nil && current.Example != nil {
		d = append(d, herald.ErrorDetail{Field: "example", Message: msg})
	}
	if len(d) > 0 {
		return &herald.Error{Code: herald.EInvalid, Message: "the event type is not complete", Details: d}
	}
	return nil
}

// patchEventType is PATCH as a JSON Merge Patch (RFC 7396) of a stored type: given members
// change, omitted ones stay, null clears one (schema and example removed, description and
// group emptied). A schema or example given is a document of its own and replaces the stored
// one whole rather than merging into it. PATCH {"archived": false} restores an archived type
// as it was.
func (s *Server) patchEventType(c *gin.Context) {
	name := c.Param("name")
	var patch map[string]json.RawMessage
	if err := decodeAs(c, &patch, eventTypeRequest{}); err != nil {
		s.writeError(c, err)
		return
	}
	if patch == nil {
		s.writeError(c, herald.Errorf(herald.EMalformed, "request body must be a JSON object"))
		return
	}
	current, err := s.Store.EventType(c.Request.Context(), name)
	if err != nil {
		s.writeError(c, err)
		return
	}
	// The stored members the patch leaves out, as raw JSON so that a stored schema keeps its bytes.
	description, _ := json.Marshal(current.Description)
	group, _ := json.Marshal(current.Group)
	archived, _ := json.Marshal(current.Archived)
	for member, raw := range map[string]json.RawMessage{"description": description, "group": group,
		"archived": archived, "schema": current.Schema, "example": current.Example} {
		if _, given := patch[member]; !given && raw != nil {
			patch[member] = raw
		}
	}
	merged, err := json.Marshal(patch)
	if err != nil {
		s.writeError(c, herald.Errorf(herald.EMalformed, "request body is not valid JSON"))
		return
	}
	var in eventTypeRequest
	if err := decodeBytes(merged, &in); err != nil {
		s.writeError(c, err)
		return
	}
	s.saveEventType(c, name, in)
}

// saveEventType validates and stores a type and answers it as stored.
func (s *Server) saveEventType(c *gin.Context, name string, in eventTypeRequest) {
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
	et := herald.EventType{Name: name, Archived: in.Archived, Schema: compactJSON(in.Schema), Example: compactJSON(in.Example)}
	if in.Description != nil {
		et.Description = *in.Description
	}
	if in.Group != nil {
		et.Group = *in.Group
	}
	if len(et.Description) > 2000 {
		add("description", "must be at most 2000 characters")
	}
	if len(et.Group) > 200 {
		add("group", "must be at most 200 characters")
	}
	for field, raw := range map[string]json.RawMessage{"schema": et.Schema, "example": et.Example} {
		if raw != nil && !isObject(raw) {
			add(field, "must be a JSON object")
		}
	}
	if et.Example != nil && isObject(et.Example) {
		if u := starter.Undeliverable("example", et.Example); u != nil { // test sends deliver it
			d = append(d, *u)
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
