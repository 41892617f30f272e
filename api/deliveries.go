package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald/internal/app"
)

func (s *Server) deliveryRoutes(g *gin.RouterGroup) {
	g.GET("/webhooks/:id/deliveries", s.handle(s.listDeliveries))
	g.GET("/deliveries/:id", s.handle(s.getDelivery))
	// Gin needs the same wildcard name as the webhook routes at this position: :id is the owner.
	g.GET("/users/:id/deliveries", s.handle(s.listOwnerDeliveries(userScope)))
	g.GET("/organization/:id/deliveries", s.handle(s.listOwnerDeliveries(orgScope)))
}

func (s *Server) listDeliveries(c *gin.Context) error {
	page, err := s.svc.deliveries.WebhookLog(c.Request.Context(), c.Param("id"), logQuery(c))
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusOK, page)
	return nil
}

// listOwnerDeliveries lists the deliveries of every webhook of the path's owner.
func (s *Server) listOwnerDeliveries(sc scope) handler {
	return func(c *gin.Context) error {
		page, err := s.svc.deliveries.OwnerLog(c.Request.Context(), sc.owner(c), logQuery(c))
		if err != nil {
			return err
		}
		c.PureJSON(http.StatusOK, page)
		return nil
	}
}

// logQuery decodes a delivery log's limit and filters from the query string.
func logQuery(c *gin.Context) app.Input[app.LogQuery] {
	return func() (app.LogQuery, error) { return app.ParseLogQuery(c.Request.URL.Query()) }
}

func (s *Server) getDelivery(c *gin.Context) error {
	d, err := s.svc.deliveries.Delivery(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusOK, d)
	return nil
}
