package api

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/postgres"
)

// principal is who calls: the backend with an admin key, or one user with a token.
type principal struct {
	Admin  bool
	UserID string // set for a user token
}

const (
	principalKey = "herald.principal"
	rolesKey     = "herald.roles" // map[organization id]role, the memberships this request looked up
)

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

// authenticate accepts a request whose bearer secret is an unrevoked admin key or an
// unrevoked, unexpired token of a user in the directory (one query), and records the caller
// as its principal. Anything else is a 401.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		scheme, token, _ := strings.Cut(h, " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			s.unauthorized(c, "missing bearer token in the Authorization header")
			return
		}
		p, valid, err := s.Store.PrincipalOf(c.Request.Context(), token)
		if err != nil {
			s.writeError(c, err)
			return
		}
		if !valid {
			s.unauthorized(c, "invalid, expired or revoked key or token")
			return
		}
		c.Set(principalKey, principal{Admin: p.Admin, UserID: p.UserID})
		c.Next()
	}
}

// unauthorized answers 401 with the challenge RFC 6750 asks for.
func (s *Server) unauthorized(c *gin.Context, msg string) {
	c.Header("WWW-Authenticate", `Bearer realm="herald"`)
	s.writeError(c, herald.Errorf(herald.EUnauthorized, "%s", msg))
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

// adminForWrites lets any authenticated caller read (GET, HEAD) and needs an admin key for
// everything else: the event catalog is readable by users and written by the backend.
func (s *Server) adminForWrites() gin.HandlerFunc {
	admin := s.adminOnly()
	return func(c *gin.Context) {
		if m := c.Request.Method; m == "GET" || m == "HEAD" {
			c.Next()
			return
		}
		admin(c)
	}
}

// authorizeOwner is nil when the caller may do a to the resources of owner. An admin may do
// anything. A user may read and write its personal resources; it may read an organization's
// as any member and write them as owner or admin. A caller who may not see the owner at all
// gets 404 (never a leak of another tenant's resources); a member who may read but not
// change gets 403. It looks a membership up at most once per request and organization.
func (s *Server) authorizeOwner(c *gin.Context, owner postgres.Owner, a access) error {
	p := principalOf(c)
	switch {
	case p.Admin:
		return nil
	case p.UserID == "":
		return herald.Errorf(herald.EUnauthorized, "not authenticated")
	case owner.OrganizationID == "":
		if owner.UserID != "" && owner.UserID == p.UserID {
			return nil
		}
		return herald.Errorf(herald.ENotFound, "not found")
	}
	v, _ := c.Get(rolesKey)
	roles, _ := v.(map[string]string)
	role, seen := roles[owner.OrganizationID]
	if !seen {
		var err error
		if role, err = s.Store.MemberRole(c.Request.Context(), owner.OrganizationID, p.UserID); err != nil {
			return err
		}
		if roles == nil {
			roles = map[string]string{}
			c.Set(rolesKey, roles)
		}
		roles[owner.OrganizationID] = role
	}
	switch {
	case role == "":
		return herald.Errorf(herald.ENotFound, "not found")
	case a == write && role != "owner" && role != "admin":
		return herald.Errorf(herald.EForbidden, "changing this organization's webhooks needs the owner or admin role")
	}
	return nil
}
