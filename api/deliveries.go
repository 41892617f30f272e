package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/postgres"
)

func (s *Server) deliveryRoutes(g *gin.RouterGroup) {
	g.GET("/webhooks/:id/deliveries", s.listDeliveries)
	g.GET("/deliveries/:id", s.getDelivery)
}

func (s *Server) listDeliveries(c *gin.Context) {
	ctx := c.Request.Context()
	w, err := s.Store.Webhook(ctx, c.Param("id"))
	if err == nil {
		err = s.authorizeOwner(c, postgres.Owner{UserID: w.UserID, OrganizationID: w.OrganizationID}, read)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	limit, err := pageLimit(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	status := c.Query("status")
	switch status {
	case "", herald.DeliveryPending, herald.DeliverySucceeded, herald.DeliveryFailed, herald.DeliveryCancelled:
	default:
		s.writeError(c, &herald.Error{Code: herald.EInvalid, Message: "invalid status filter",
			Details: []herald.ErrorDetail{{Field: "status", Message: "must be pending, succeeded, failed or cancelled"}}})
		return
	}
	ds, err := s.Store.WebhookDeliveries(ctx, postgres.DeliveryFilter{WebhookID: c.Param("id"), Status: status,
		EventType: c.Query("event"), Before: c.Query("cursor"), Limit: limit + 1})
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := list[herald.Delivery]{Data: ds}
	if len(ds) > limit {
		out.Data = ds[:limit]
		out.NextCursor = ds[limit-1].ID
	}
	c.PureJSON(http.StatusOK, out)
}

func (s *Server) getDelivery(c *gin.Context) {
	d, err := s.Store.Delivery(c.Request.Context(), c.Param("id"))
	if err == nil {
		var owner postgres.Owner
		if owner, err = s.Store.WebhookOwner(c.Request.Context(), d.WebhookID); err == nil {
			err = s.authorizeOwner(c, owner, read)
		}
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, d)
}
