package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/wire"
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

// validated is a directory entry with its own rules (herald.User, Organization, Membership).
type validated[T any] interface {
	*T
	Validate() []herald.ErrorDetail
}

// putDirectory is the PUT of a directory entry: decode the body, let fill take the ids from
// the path, check the entry's fields, save, answer the entry.
func putDirectory[T any, P validated[T]](s *Server, c *gin.Context, what string, fill func(P), save func(context.Context, T) error) {
	var v T
	if err := decodeJSON(c, &v); err != nil {
		s.writeError(c, err)
		return
	}
	fill(&v)
	if err := herald.Invalid(what, P(&v).Validate()); err != nil {
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
	putDirectory(s, c, "the user", func(u *herald.User) { u.ID = c.Param("id") }, s.Store.UpsertUser)
}

func (s *Server) putOrganization(c *gin.Context) {
	putDirectory(s, c, "the organization", func(o *herald.Organization) { o.ID = c.Param("id") }, s.Store.UpsertOrganization)
}

func (s *Server) putMember(c *gin.Context) {
	putDirectory(s, c, "the membership", func(m *herald.Membership) {
		m.OrganizationID, m.UserID = c.Param("id"), c.Param("userId")
	}, s.Store.UpsertMembership)
}

// deleteDirectory answers the DELETE of the user or organization in the path: 204, or 404. It
// starts a cancel-deliveries workflow for each deleted webhook whose pending deliveries the
// deletion cancelled, rather than cancelling their workflows in the request.
func (s *Server) deleteDirectory(del func(ctx context.Context, id string) ([]herald.StoppedWebhook, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		stopped, err := del(ctx, c.Param("id"))
		if err != nil {
			s.writeError(c, err)
			return
		}
		for _, w := range stopped {
			id, err := wire.StartCancelDeliveries(ctx, s.Temporal, s.taskQueue(), w.WebhookID,
				string(herald.DeliveryCancelled), w.UpdatedAt)
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
