package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
)

// eventRoutes publish and read events; they need an admin key (app.Events decides).
func (s *Server) eventRoutes(g *gin.RouterGroup) {
	g.POST("/events", s.handle(s.publishEvent))
	g.GET("/events/:id", s.handle(s.getEvent))
}

func (s *Server) publishEvent(c *gin.Context) error {
	res, err := s.svc.events.Publish(c.Request.Context(), c.GetHeader("Idempotency-Key"), body[herald.EventInput](c))
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusAccepted, res)
	return nil
}

func (s *Server) getEvent(c *gin.Context) error {
	ev, err := s.svc.events.Event(c.Request.Context(), c.Param("id"))
	return answer(c, ev, err)
}
