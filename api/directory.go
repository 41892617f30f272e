package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/app"
)

// directoryRoutes are the backend's sync of its users, organizations and memberships; they
// need an admin key (app.DirectoryService decides).
func (s *Server) directoryRoutes(g *gin.RouterGroup) {
	g.PUT("/users/:id", s.handle(s.putUser))
	g.DELETE("/users/:id", s.handle(s.deleteUser))
	g.PUT("/organizations/:id", s.handle(s.putOrganization))
	g.DELETE("/organizations/:id", s.handle(s.deleteOrganization))
	g.PUT("/organizations/:id/members/:userId", s.handle(s.putMember))
	g.DELETE("/organizations/:id/members/:userId", s.handle(s.deleteMember))
}

// body is the Input that decodes the request's JSON body into a T.
func body[T any](c *gin.Context) app.Input[T] {
	return func() (T, error) {
		var v T
		err := decodeJSON(c, &v)
		return v, err
	}
}

func (s *Server) putUser(c *gin.Context) error {
	u, err := s.svc.directory.PutUser(c.Request.Context(), c.Param("id"), body[herald.User](c))
	return answer(c, u, err)
}

func (s *Server) putOrganization(c *gin.Context) error {
	o, err := s.svc.directory.PutOrganization(c.Request.Context(), c.Param("id"), body[herald.Organization](c))
	return answer(c, o, err)
}

func (s *Server) putMember(c *gin.Context) error {
	m, err := s.svc.directory.PutMembership(c.Request.Context(), c.Param("id"), c.Param("userId"), body[herald.Membership](c))
	return answer(c, m, err)
}

// deleteUser answers 204, or 404 for a user not in the directory.
func (s *Server) deleteUser(c *gin.Context) error {
	return noContent(c, s.svc.directory.DeleteUser(c.Request.Context(), c.Param("id")))
}

func (s *Server) deleteOrganization(c *gin.Context) error {
	return noContent(c, s.svc.directory.DeleteOrganization(c.Request.Context(), c.Param("id")))
}

func (s *Server) deleteMember(c *gin.Context) error {
	return noContent(c, s.svc.directory.DeleteMembership(c.Request.Context(), c.Param("id"), c.Param("userId")))
}

// answer is 200 with v, or err for the adapter.
func answer(c *gin.Context, v any, err error) error {
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusOK, v)
	return nil
}

// noContent is 204, or err for the adapter.
func noContent(c *gin.Context, err error) error {
	if err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
