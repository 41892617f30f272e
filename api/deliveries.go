package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/postgres"
)

func (s *Server) deliveryRoutes(g *gin.RouterGroup) {
	g.GET("/webhooks/:id/deliveries", s.listDeliveries)
	g.GET("/deliveries/:id", s.getDelivery)
	// Gin needs the same wildcard name as the webhook routes at this position: :id is the owner.
	g.GET("/users/:id/deliveries", s.listOwnerDeliveries(userScope))
	g.GET("/organization/:id/deliveries", s.listOwnerDeliveries(orgScope))
}

func (s *Server) listDeliveries(c *gin.Context) {
	if err := s.authorizeLog(c, c.Param("id")); err != nil {
		s.writeError(c, err)
		return
	}
	s.writeDeliveries(c, func(f *postgres.DeliveryFilter) { f.WebhookID = c.Param("id") })
}

// listOwnerDeliveries lists the deliveries of every webhook of the path's owner, deleted
// webhooks included (their logs stay readable), with the filters of a webhook's log: the
// support question "what never arrived?" in one call. It is authorised like listing that
// owner's webhooks.
func (s *Server) listOwnerDeliveries(sc scope) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.authorizeOwner(c, sc.owner(c), read); err != nil {
			s.writeError(c, err)
			return
		}
		if err := s.ownerExists(c, sc); err != nil {
			s.writeError(c, err)
			return
		}
		s.writeDeliveries(c, func(f *postgres.DeliveryFilter) { f.Owner = sc.owner(c) })
	}
}

// writeDeliveries answers one page of a delivery log: the request's limit and filters, with
// narrow choosing whose log it is (one webhook's, or every webhook of one owner).
func (s *Server) writeDeliveries(c *gin.Context, narrow func(*postgres.DeliveryFilter)) {
	limit, err := pageLimit(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	f, err := deliveryFilter(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	narrow(&f)
	f.Limit = limit + 1
	ds, err := s.Store.WebhookDeliveries(c.Request.Context(), f)
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
		err = s.authorizeLog(c, d.WebhookID)
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, d)
}

// authorizeLog checks the caller may read a webhook's delivery log; a deleted webhook's log
// stays readable.
func (s *Server) authorizeLog(c *gin.Context, webhookID string) error {
	owner, err := s.Store.WebhookOwner(c.Request.Context(), webhookID)
	if err != nil {
		return err
	}
	return s.authorizeOwner(c, owner, read)
}

// deliveryFilter reads the filters of a delivery list: status (one or a comma-separated list,
// any of which matches), event (type), since and until (RFC 3339, on the delivery's creation
// time) and cursor. Each bad one is a field detail.
func deliveryFilter(c *gin.Context) (postgres.DeliveryFilter, error) {
	var d []herald.ErrorDetail
	add := func(field, msg string) { d = append(d, herald.ErrorDetail{Field: field, Message: msg}) }
	f := postgres.DeliveryFilter{EventType: c.Query("event"), Before: c.Query("cursor")}
	if v := c.Query("status"); v != "" {
		for _, st := range strings.Split(v, ",") {
			switch st = strings.TrimSpace(st); st {
			case herald.DeliveryPending, herald.DeliverySucceeded, herald.DeliveryFailed, herald.DeliveryCancelled, herald.DeliveryHeld:
				f.Statuses = append(f.Statuses, st)
			default:
				f.Statuses = nil
				add("status", "must be pending, succeeded, failed, cancelled or held, or a comma-separated list of them")
			}
			if f.Statuses == nil {
				break
			}
		}
	}
	if f.EventType != "" && !herald.ValidID(f.EventType) {
		add("event", "not an event type name")
	}
	if f.Before != "" && !herald.ValidID(f.Before) {
		add("cursor", "is not a next_cursor of this list")
	}
	for _, t := range []struct {
		field string
		dst   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := c.Query(t.field)
		if v == "" {
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			add(t.field, "must be an RFC 3339 time such as 2026-02-18T12:00:00Z")
			continue
		}
		*t.dst = ts
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		add("until", "must be after since")
	}
	if len(d) > 0 {
		return f, &herald.Error{Code: herald.EInvalid, Message: "invalid delivery filter", Details: d}
	}
	return f, nil
}
