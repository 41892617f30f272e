package api

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/postgres"
)

// principal is who calls: the backend with an admin key, or one user with a token.
type principal struct {
	Admin  bool
	UserID string // set for a user token
}

const principalKey = "herald.principal"

func principalOf(c *gin.Context) principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(principal)
	return pr
}

// access is what a caller wants to do with an owner's resources.
type access int

const (
	read  access = iota // list and read
	write               // create, change, delete, test, rotate, replay, redeliver
)

// authenticate accepts a request whose bearer token is a stored, unrevoked admin key and
// records the caller as its principal.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		token = strings.TrimSpace(token)
		if !ok || token == "" {
			s.writeError(c, herald.Errorf(herald.EUnauthorized, "missing bearer token in the Authorization header"))
			return
		}
		valid, err := s.Store.AdminKeyValid(c.Request.Context(), token)
		if err != nil {
			s.writeError(c, err)
			return
		}
		if !valid {
			s.writeError(c, herald.Errorf(herald.EUnauthorized, "invalid or revoked key"))
			return
		}
		c.Set(principalKey, principal{Admin: true})
		c.Next()
	}
}

// adminOnly refuses a caller that is not the backend (an admin key) with 403.
func (s *Server) adminOnly() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !principalOf(c).Admin {
			s.writeError(c, herald.Errorf(herald.EForbidden, "this route needs an admin key"))
			return
		}
		c.Next()
	}
}

// authorizeOwner is nil when the caller may do a to the resources of owner. A caller who may
// not see the owner at all gets 404 (never a leak of another tenant's resources); one who may
// read but not change gets 403.
func (s *Server) authorizeOwner(c *gin.Context, owner postgres.Owner, a access) error {
	if principalOf(c).Admin {
		return nil
	}
	return herald.Errorf(herald.ENotFound, "not found")
}
