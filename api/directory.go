package api

import (
	"context"
	"net/http"
	"net/mail"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/postgres"
)

// directoryRoutes are the backend's sync of its users, organizations and memberships; they
// need an admin key. A DELETE of a user or an organization deletes its webhooks (pending
// deliveries cancelled, logs kept) and memberships, and a user's tokens are revoked.
func (s *Server) directoryRoutes(g *gin.RouterGroup) {
	g = g.Group("", s.adminOnly())
	g.PUT("/users/:id", s.putUser)
	g.DELETE("/users/:id", s.deleteDirectory(s.Store.DeleteUser))
	g.PUT("/organizations/:id", s.putOrganization)
	g.DELETE("/organizations/:id", s.deleteDirectory(s.Store.DeleteOrganization))
	g.PUT("/organizations/:id/members/:userId", s.putMember)
	g.DELETE("/organizations/:id/members/:userId", s.deleteMember)
}

// directoryCheck collects the field errors of a directory request.
type directoryCheck []herald.ErrorDetail

func (d *directoryCheck) add(field, msg string) {
	*d = append(*d, herald.ErrorDetail{Field: field, Message: msg})
}

func (d directoryCheck) err(what string) error {
	if len(d) == 0 {
		return nil
	}
	return &herald.Error{Code: herald.EInvalid, Message: what + " is not valid", Details: d}
}

func (d *directoryCheck) id(field, id string) {
	if !herald.ValidID(id) {
		d.add(field, herald.IDRule)
	}
}

func (d *directoryCheck) maxLen(field, v string, n int) {
	if len(v) > n {
		d.add(field, "must be at most "+strconv.Itoa(n)+" characters")
	}
}

// putDirectory is the PUT of a directory entry: decode the body, let fill take the ids from
// the path and check the fields, save, answer the entry.
func putDirectory[T any](s *Server, c *gin.Context, what string, fill func(*T, *directoryCheck), save func(context.Context, T) error) {
	var v T
	if err := decodeJSON(c, &v); err != nil {
		s.writeError(c, err)
		return
	}
	var d directoryCheck
	fill(&v, &d)
	if err := d.err(what); err != nil {
		s.writeError(c, err)
		return
	}
	if err := save(c.Request.Context(), v); err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, v)
}

func (s *Server) putUser(c *gin.Context) {
	putDirectory(s, c, "the user", func(u *postgres.User, d *directoryCheck) {
		u.ID = c.Param("id")
		d.id("id", u.ID)
		if u.Email != "" {
			if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || len(u.Email) > 320 {
				d.add("email", "must be an email address like ada@example.com")
			}
		}
		d.maxLen("name", u.Name, 200)
	}, s.Store.UpsertUser)
}

func (s *Server) putOrganization(c *gin.Context) {
	putDirectory(s, c, "the organization", func(o *postgres.Organization, d *directoryCheck) {
		o.ID = c.Param("id")
		d.id("id", o.ID)
		d.maxLen("name", o.Name, 200)
	}, s.Store.UpsertOrganization)
}

func (s *Server) putMember(c *gin.Context) {
	putDirectory(s, c, "the membership", func(m *postgres.Membership, d *directoryCheck) {
		m.OrganizationID, m.UserID = c.Param("id"), c.Param("userId")
		d.id("id", m.OrganizationID)
		d.id("userId", m.UserID)
		switch m.Role {
		case "owner", "admin", "member":
		default:
			d.add("role", "must be owner, admin or member")
		}
	}, s.Store.UpsertMembership)
}

// deleteDirectory answers the DELETE of the user or organization in the path: 204, or 404. It
// starts a cancel-deliveries workflow for each deleted webhook whose pending deliveries the
// deletion cancelled, rather than cancelling their workflows in the request.
func (s *Server) deleteDirectory(del func(ctx context.Context, id string) ([]postgres.StoppedWebhook, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		stopped, err := del(ctx, c.Param("id"))
		if err != nil {
			s.writeError(c, err)
			return
		}
		for _, w := range stopped {
			id, err := activities.StartCancelDeliveries(ctx, s.Temporal, s.taskQueue(), w.WebhookID,
				herald.DeliveryCancelled, w.UpdatedAt)
			if err != nil {
				s.Logger.Warn("start cancel-deliveries workflow", "workflow_id", id, "webhook_id", w.WebhookID, "error", err)
			}
		}
		c.Status(http.StatusNoContent)
	}
}

func (s *Server) deleteMember(c *gin.Context) {
	if err := s.Store.DeleteMembership(c.Request.Context(), c.Param("id"), c.Param("userId")); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
