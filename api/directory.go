package api

import (
	"context"
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/postgres"
)

func (s *Server) directoryRoutes(g *gin.RouterGroup) {
	g.PUT("/users/:id", s.putUser)
	g.PUT("/organizations/:id", s.putOrganization)
	g.PUT("/organizations/:id/members/:userId", s.putMember)
}

// idPattern is what the backend's ids (users, organizations, event types) may look like.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$`)

func validID(field, id string) error {
	if !idPattern.MatchString(id) {
		return &herald.Error{Code: herald.EInvalid, Message: "invalid " + field,
			Details: []herald.ErrorDetail{{Field: field, Message: "1-200 characters: letters, digits and . _ : @ -"}}}
	}
	return nil
}

// putDirectory is a PUT of a directory entry (user or organization) whose id is in the path.
func putDirectory[T any](s *Server, c *gin.Context, id func(*T) *string, save func(context.Context, T) error) {
	var v T
	if err := decodeJSON(c, &v); err != nil {
		s.writeError(c, err)
		return
	}
	*id(&v) = c.Param("id")
	if err := validID("id", *id(&v)); err != nil {
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
	putDirectory(s, c, func(u *postgres.User) *string { return &u.ID }, s.Store.UpsertUser)
}

func (s *Server) putOrganization(c *gin.Context) {
	putDirectory(s, c, func(o *postgres.Organization) *string { return &o.ID }, s.Store.UpsertOrganization)
}

func (s *Server) putMember(c *gin.Context) {
	var m postgres.Membership
	if err := decodeJSON(c, &m); err != nil {
		s.writeError(c, err)
		return
	}
	m.OrganizationID, m.UserID = c.Param("id"), c.Param("userId")
	switch m.Role {
	case "owner", "admin", "member":
	default:
		s.writeError(c, &herald.Error{Code: herald.EInvalid, Message: "invalid role",
			Details: []herald.ErrorDetail{{Field: "role", Message: "must be owner, admin or member"}}})
		return
	}
	if err := s.Store.UpsertMembership(c.Request.Context(), m); err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, m)
}
