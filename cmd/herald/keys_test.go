package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
)

func TestKeysCreateListRevoke(t *testing.T) {
	ctx := context.Background()
	pg, _ := devstacktest.Postgres(t)
	store := devstacktest.Store(t, pg, "keys")
	db := []string{"-database-url", pg.URL("keys")}
	keys := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := keysCommand(ctx, &out, append(args, db...))
		return out.String(), err
	}

	out, err := keys("create", "-name", "backend")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`id (key_\S+)\nkey (hk_\S+)\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create printed %q", out)
	}
	id, key := m[1], m[2]

	t.Run("a created key authenticates as admin", func(t *testing.T) {
		p, ok, err := store.PrincipalOf(ctx, key)
		if err != nil || !ok || !p.Admin {
			t.Fatalf("principal %+v ok %v err %v", p, ok, err)
		}
	})

	t.Run("list shows id, name and dates, never the key", func(t *testing.T) {
		out, err := keys("list")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, key) {
			t.Fatalf("list shows the key: %q", out)
		}
		if !regexp.MustCompile(`(?m)^` + id + `\s+backend\s+\d{4}-\d\d-\d\dT\S+\s+-$`).MatchString(out) {
			t.Fatalf("list %q has no unrevoked row for %s", out, id)
		}
	})

	t.Run("a revoked key is refused and stays revoked when registered again", func(t *testing.T) {
		out, err := keys("revoke", id) // the id before the flags
		if err != nil || !strings.HasPrefix(out, "revoked "+id+" (backend) at ") {
			t.Fatalf("revoke: %q, %v", out, err)
		}
		var again bytes.Buffer // and after them; revoking twice is fine
		if err := keysCommand(ctx, &again, []string{"revoke", "-database-url", pg.URL("keys"), id}); err != nil || again.String() != out {
			t.Fatalf("revoke again: %q (first %q), %v", again.String(), out, err)
		}
		if _, ok, err := store.PrincipalOf(ctx, key); err != nil || ok {
			t.Fatalf("revoked key accepted (ok %v, err %v)", ok, err)
		}
		// HERALD_ADMIN_KEY registers its key at every start; a revoked one must not come back.
		if _, err := store.CreateAPIKey(ctx, "env", key); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := store.PrincipalOf(ctx, key); ok {
			t.Fatal("registering the revoked key again revived it")
		}
		out, _ = keys("list")
		if regexp.MustCompile(`(?m)^` + id + `\s+backend\s+\S+\s+-$`).MatchString(out) {
			t.Fatalf("list still shows %s unrevoked: %q", id, out)
		}
	})

	t.Run("revoking an unknown id or no id fails", func(t *testing.T) {
		if _, err := keys("revoke", "key_unknown"); err == nil {
			t.Fatal("revoking an unknown key succeeded")
		}
		if _, err := keys("revoke"); err == nil {
			t.Fatal("revoke without an id succeeded")
		}
	})
}

// TestKeysRefuseIdsAndNamesThatCannotBeStored checks the key id and name before the database
// is reached: an id outside herald's id rule, a name with a NUL byte or invalid UTF-8.
func TestKeysRefuseIdsAndNamesThatCannotBeStored(t *testing.T) {
	db := []string{"-database-url", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"}
	for _, args := range [][]string{{"revoke", "key_ñ"}, {"revoke", "key\x00"}, {"create", "-name", "a\x00b"}, {"create", "-name", "a\xffb"}} {
		err := keysCommand(context.Background(), &bytes.Buffer{}, append(args, db...))
		if err == nil || !strings.Contains(err.Error(), "key id") && !strings.Contains(err.Error(), "-name") {
			t.Errorf("keys %q = %v, want the id or name refused before connecting", args, err)
		}
	}
}
