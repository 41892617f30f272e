package api

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/app"
)

// authenticate accepts a request whose bearer secret is an unrevoked admin key or an
// unrevoked, unexpired token of a user in the directory (one query), and carries the caller
// as its principal in the request's context, where the services read it. Anything else is
// a 401.
func (s *Server) authenticate() gin.HandlerFunc {
	return s.middleware(func(c *gin.Context) error {
		scheme, token, _ := strings.Cut(c.GetHeader("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return s.unauthorized(c, herald.Errorf(herald.EUnauthorized, "missing bearer token in the Authorization header"))
		}
		p, err := app.Authenticate(c.Request.Context(), s.Store, token)
		if herald.ErrorCode(err) == herald.EUnauthorized {
			return s.unauthorized(c, err)
		}
		if err != nil {
			return err
		}
		c.Request = c.Request.WithContext(app.WithPrincipal(c.Request.Context(), p))
		return nil
	})
}

// unauthorized is err, a 401, after setting the challenge RFC 6750 asks for.
func (s *Server) unauthorized(c *gin.Context, err error) error {
	c.Header("WWW-Authenticate", `Bearer realm="herald"`)
	return err
}

// authz is the authorization rule of every service (app.Authorizer over the store's
// memberships).
func (s *Server) authz() app.Authorizer { return app.Authorizer{Roles: s.Store} }
