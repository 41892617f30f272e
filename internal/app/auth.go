package app

import (
	"context"
	"sync"

	"github.com/herald-webhooks/herald"
)

// Access is what a caller wants to do with an owner's resources.
type Access int

const (
	Read  Access = iota // list and read
	Write               // create, change, delete, test, rotate, replay, redeliver
)

// caller is the principal of one request with the organization roles it has looked up, so
// that a request needing the same membership twice reads it once.
type caller struct {
	principal herald.Principal
	mu        sync.Mutex
	roles     map[string]herald.Role // organization id → role ("" for not a member)
}

type callerKey struct{}

// WithPrincipal is ctx carrying p as the caller of one request (one per request: the
// memberships looked up for it are remembered until ctx is gone).
func WithPrincipal(ctx context.Context, p herald.Principal) context.Context {
	return context.WithValue(ctx, callerKey{}, &caller{principal: p})
}

// PrincipalOf is the caller ctx carries; ok is false for an unauthenticated context.
func PrincipalOf(ctx context.Context) (p herald.Principal, ok bool) {
	c, ok := ctx.Value(callerKey{}).(*caller)
	if !ok {
		return herald.Principal{}, false
	}
	return c.principal, true
}

// Keys is what authentication needs: the holder of a bearer secret, if it is valid.
type Keys interface {
	PrincipalOf(ctx context.Context, secret string) (p herald.Principal, ok bool, err error)
}

// Authenticate is the principal holding secret, an unrevoked admin key or an unrevoked,
// unexpired token of a user in the directory; anything else is EUnauthorized.
func Authenticate(ctx context.Context, keys Keys, secret string) (herald.Principal, error) {
	p, ok, err := keys.PrincipalOf(ctx, secret)
	if err != nil {
		return herald.Principal{}, err
	}
	if !ok {
		return herald.Principal{}, herald.Errorf(herald.EUnauthorized, "invalid, expired or revoked key or token")
	}
	return p, nil
}

// Roles is what authorization needs from the directory: a user's role in an organization,
// "" when the user is not a member.
type Roles interface {
	MemberRole(ctx context.Context, organizationID, userID string) (herald.Role, error)
}

// Authorizer decides who may do what to which owner's resources: the one rule every service
// applies before it reads or changes anything.
type Authorizer struct {
	Roles Roles
}

// Admin is nil when the caller holds an admin key (the backend), EForbidden otherwise.
func (a Authorizer) Admin(ctx context.Context) error {
	if p, _ := PrincipalOf(ctx); !p.Admin {
		return herald.Errorf(herald.EForbidden, "this route needs an admin key")
	}
	return nil
}

// Owner is nil when the caller may do acc to the resources of owner. An admin may do
// anything. A user may read and write its personal resources; it may read an organization's
// as any member and write them as owner or admin. A caller who may not see the owner at all
// gets ENotFound (never a leak of another tenant's resources); a member who may read but not
// change gets EForbidden. A membership is looked up at most once per request and
// organization (see WithPrincipal).
func (a Authorizer) Owner(ctx context.Context, owner herald.Owner, acc Access) error {
	c, _ := ctx.Value(callerKey{}).(*caller)
	switch {
	case c == nil || !c.principal.Admin && c.principal.UserID == "":
		return herald.Errorf(herald.EUnauthorized, "not authenticated")
	case c.principal.Admin:
		return nil
	case owner.OrganizationID == "":
		if owner.UserID != "" && owner.UserID == c.principal.UserID {
			return nil
		}
		return herald.Errorf(herald.ENotFound, "not found")
	}
	role, err := a.role(ctx, c, owner.OrganizationID)
	if err != nil {
		return err
	}
	switch {
	case role == "":
		return herald.Errorf(herald.ENotFound, "not found")
	case acc == Write && !role.CanWrite():
		return herald.Errorf(herald.EForbidden, "changing this organization's webhooks needs the owner or admin role")
	}
	return nil
}

// role is the caller's role in the organization, looked up once per request.
func (a Authorizer) role(ctx context.Context, c *caller, organizationID string) (herald.Role, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if role, seen := c.roles[organizationID]; seen {
		return role, nil
	}
	role, err := a.Roles.MemberRole(ctx, organizationID, c.principal.UserID)
	if err != nil {
		return "", err
	}
	if c.roles == nil {
		c.roles = map[string]herald.Role{}
	}
	c.roles[organizationID] = role
	return role, nil
}
