package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/starter"
)

func (s *Server) eventRoutes(g *gin.RouterGroup) {
	g.POST("/events", s.publishEvent)
	g.GET("/events/:id", s.getEvent)
}

func (s *Server) publishEvent(c *gin.Context) {
	var in starter.Event
	if err := decodeJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	if in.ID == "" {
		in.ID = c.GetHeader("Idempotency-Key")
		if in.ID != "" && !herald.ValidID(in.ID) {
			s.writeError(c, &herald.Error{Code: herald.EInvalid, Message: "the event is not valid",
				Details: []herald.ErrorDetail{{Field: "Idempotency-Key", Message: herald.IDRule}}})
			return
		}
	}
	res, err := s.Publisher.Publish(c.Request.Context(), in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusAccepted, gin.H{"id": res.Event.ID, "event": res.Event.Type, "timestamp": res.Event.Timestamp,
		"duplicate": res.Duplicate(), "outcome": res.Outcome()})
}

func (s *Server) getEvent(c *gin.Context) {
	ctx := c.Request.Context()
	ev, err := s.Store.Event(ctx, c.Param("id"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	ds, err := s.Store.EventDeliveries(ctx, ev.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, gin.H{"id": ev.ID, "event": ev.Type, "timestamp": ev.Timestamp, "user_id": ev.UserID,
		"organization_id": ev.OrganizationID, "data": ev.Data, "created_at": ev.CreatedAt, "deliveries": ds})
}
