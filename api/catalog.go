package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/app"
)

// catalogRoutes: anyone authenticated reads the catalog; only the backend changes it
// (app.Catalog decides).
func (s *Server) catalogRoutes(g *gin.RouterGroup) {
	g.GET("/event-types", s.handle(s.listEventTypes))
	g.GET("/event-types/:name", s.handle(s.getEventType))
	g.PUT("/event-types/:name", s.handle(s.putEventType))
	g.PATCH("/event-types/:name", s.handle(s.patchEventType))
	g.DELETE("/event-types/:name", s.handle(s.deleteEventType))
}

func (s *Server) listEventTypes(c *gin.Context) error {
	l, err := s.svc.catalog.List(c.Request.Context())
	return answer(c, l, err)
}

func (s *Server) getEventType(c *gin.Context) error {
	et, err := s.svc.catalog.Get(c.Request.Context(), c.Param("name"))
	return answer(c, et, err)
}

// putEventType creates or replaces an event type with the full representation in the body.
func (s *Server) putEventType(c *gin.Context) error {
	et, err := s.svc.catalog.Put(c.Request.Context(), c.Param("name"), body[app.EventTypeRequest](c))
	return answer(c, et, err)
}

// patchEventType is PATCH as a JSON Merge Patch (RFC 7396) of a stored type. A schema or
// example given is a document of its own and replaces the stored one whole rather than
// merging into it.
func (s *Server) patchEventType(c *gin.Context) error {
	et, err := s.svc.catalog.Patch(c.Request.Context(), c.Param("name"), func() (app.EventTypeMerge, error) {
		var patch map[string]json.RawMessage
		if err := decodeAs(c, &patch, app.EventTypeRequest{}); err != nil {
			return nil, err
		}
		if patch == nil {
			return nil, herald.Errorf(herald.EMalformed, "request body must be a JSON object")
		}
		return func(current herald.EventType) (app.EventTypeRequest, error) { return mergeEventType(patch, current) }, nil
	})
	return answer(c, et, err)
}

// mergeEventType is the request the patch makes of the stored type: the stored members the
// patch leaves out, as raw JSON so that a stored schema keeps its bytes, and the patch's.
func mergeEventType(patch map[string]json.RawMessage, current herald.EventType) (app.EventTypeRequest, error) {
	description, _ := json.Marshal(current.Description)
	group, _ := json.Marshal(current.Group)
	archived, _ := json.Marshal(current.Archived)
	for member, raw := range map[string]json.RawMessage{"description": description, "group": group,
		"archived": archived, "schema": current.Schema, "example": current.Example} {
		if _, given := patch[member]; !given && raw != nil {
			patch[member] = raw
		}
	}
	var in app.EventTypeRequest
	merged, err := json.Marshal(patch)
	if err != nil {
		return in, herald.Errorf(herald.EMalformed, "request body is not valid JSON")
	}
	return in, decodeBytes(merged, &in)
}

// deleteEventType deletes an event type nothing refers to (204), archives one that events or
// webhooks refer to and answers it (200).
func (s *Server) deleteEventType(c *gin.Context) error {
	archived, err := s.svc.catalog.Delete(c.Request.Context(), c.Param("name"))
	if err != nil {
		return err
	}
	if archived == nil {
		c.Status(http.StatusNoContent)
		return nil
	}
	c.PureJSON(http.StatusOK, archived)
	return nil
}
