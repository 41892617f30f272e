package app

import (
	"context"
	"errors"
	"testing"

	"github.com/herald-webhooks/herald"
)

// fakeRoles is an organization directory: roles[org][user], counting its lookups.
type fakeRoles struct {
	roles   map[string]map[string]herald.Role
	lookups int
	err     error
}

func (f *fakeRoles) MemberRole(_ context.Context, org, user string) (herald.Role, error) {
	f.lookups++
	return f.roles[org][user], f.err
}

func newRoles() *fakeRoles {
	return &fakeRoles{roles: map[string]map[string]herald.Role{
		"org_a": {"usr_owner": herald.RoleOwner, "usr_admin": herald.RoleAdmin, "usr_member": herald.RoleMember},
	}}
}

var (
	admin   = herald.Principal{Admin: true}
	alice   = herald.Principal{UserID: "usr_alice"}
	persAli = herald.Owner{UserID: "usr_alice"}
	persBob = herald.Owner{UserID: "usr_bob"}
	orgA    = herald.Owner{OrganizationID: "org_a"}
)

func user(id string) herald.Principal { return herald.Principal{UserID: id} }

func TestAuthorizerOwner(t *testing.T) {
	tests := []struct {
		name   string
		caller *herald.Principal // nil: no principal in the context
		owner  herald.Owner
		access Access
		want   string // error code, "" for allowed
	}{
		{"an admin may change any personal owner's resources", &admin, persBob, Write, ""},
		{"an admin may change any organization's resources", &admin, orgA, Write, ""},
		{"a user may change its own resources", &alice, persAli, Write, ""},
		{"a user does not see another user's resources", &alice, persBob, Read, herald.ENotFound},
		{"a user does not see an owner with neither id", &alice, herald.Owner{}, Read, herald.ENotFound},
		{"an organization's member may read its resources", ptr(user("usr_member")), orgA, Read, ""},
		{"an organization's member may not change them", ptr(user("usr_member")), orgA, Write, herald.EForbidden},
		{"an organization's admin may change them", ptr(user("usr_admin")), orgA, Write, ""},
		{"an organization's owner may change them", ptr(user("usr_owner")), orgA, Write, ""},
		{"a non-member does not see an organization's resources", &alice, orgA, Read, herald.ENotFound},
		{"a context without a caller is not authenticated", nil, persAli, Read, herald.EUnauthorized},
		{"a principal that is neither admin nor user is not authenticated", &herald.Principal{}, persAli, Read, herald.EUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.caller != nil {
				ctx = WithPrincipal(ctx, *tt.caller)
			}
			err := Authorizer{Roles: newRoles()}.Owner(ctx, tt.owner, tt.access)
			if got := code(err); got != tt.want {
				t.Fatalf("Owner(%+v, %v) = %v, want code %q", tt.owner, tt.access, err, tt.want)
			}
		})
	}
}

func TestAuthorizerLooksAMembershipUpOncePerRequest(t *testing.T) {
	roles := newRoles()
	a := Authorizer{Roles: roles}
	ctx := WithPrincipal(context.Background(), user("usr_member"))
	for range 3 {
		if err := a.Owner(ctx, orgA, Read); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Owner(ctx, orgA, Write); code(err) != herald.EForbidden {
		t.Fatalf("write as member = %v, want forbidden", err)
	}
	if err := a.Owner(ctx, herald.Owner{OrganizationID: "org_b"}, Read); code(err) != herald.ENotFound {
		t.Fatalf("other organization = %v, want not_found", err)
	}
	if roles.lookups != 2 {
		t.Fatalf("%d membership lookups for two organizations in one request, want 2", roles.lookups)
	}
	// The next request looks it up again: a role changed in between counts.
	if err := a.Owner(WithPrincipal(context.Background(), user("usr_member")), orgA, Read); err != nil {
		t.Fatal(err)
	}
	if roles.lookups != 3 {
		t.Fatalf("%d lookups after a second request, want 3", roles.lookups)
	}
}

func TestAuthorizerPassesADirectoryFailureOn(t *testing.T) {
	down := errors.New("connection refused")
	roles := newRoles()
	roles.err = down
	err := Authorizer{Roles: roles}.Owner(WithPrincipal(context.Background(), alice), orgA, Read)
	if !errors.Is(err, down) {
		t.Fatalf("Owner = %v, want the directory's error", err)
	}
	// A failed lookup is not remembered as "not a member".
	roles.err = nil
	ctx := WithPrincipal(context.Background(), user("usr_owner"))
	_ = (Authorizer{Roles: &fakeRoles{err: down}}).Owner(ctx, orgA, Read)
	if err := (Authorizer{Roles: roles}).Owner(ctx, orgA, Write); err != nil {
		t.Fatalf("after a failed lookup, Owner = %v, want allowed", err)
	}
}

func TestAuthorizerAdmin(t *testing.T) {
	a := Authorizer{Roles: newRoles()}
	if err := a.Admin(WithPrincipal(context.Background(), admin)); err != nil {
		t.Fatalf("admin key: %v", err)
	}
	if err := a.Admin(WithPrincipal(context.Background(), alice)); code(err) != herald.EForbidden {
		t.Fatalf("user token: %v, want forbidden", err)
	}
	if err := a.Admin(context.Background()); code(err) != herald.EForbidden {
		t.Fatalf("no caller: %v, want forbidden", err)
	}
}

type fakeKeys map[string]herald.Principal

func (f fakeKeys) PrincipalOf(_ context.Context, secret string) (herald.Principal, bool, error) {
	p, ok := f[secret]
	return p, ok, nil
}

func TestAuthenticate(t *testing.T) {
	keys := fakeKeys{"hk_admin": admin, "tok_alice": alice}
	if p, err := Authenticate(context.Background(), keys, "tok_alice"); err != nil || p != alice {
		t.Fatalf("a user's token = %+v, %v; want alice", p, err)
	}
	if _, err := Authenticate(context.Background(), keys, "tok_revoked"); code(err) != herald.EUnauthorized {
		t.Fatalf("an unknown secret = %v, want unauthorized", err)
	}
}

func ptr[T any](v T) *T { return &v }

// code is err's Herald error code, "" for nil.
func code(err error) string {
	if err == nil {
		return ""
	}
	return herald.ErrorCode(err)
}
