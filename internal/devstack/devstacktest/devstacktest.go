// Package devstacktest has the helpers tests use to provision real services with devstack.
package devstacktest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/herald-webhooks/herald/internal/devstack"
	"github.com/herald-webhooks/herald/internal/postgres"
	"github.com/herald-webhooks/herald/internal/secretbox"
)

// Dir returns a new directory, removed at cleanup, that the postgres user can reach when tests
// run as root (t.TempDir makes 0700 directories).
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "herald-test-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// Postgres starts a private cluster for one test (stopped at cleanup) and returns it with the
// options that start it again on the same data.
func Postgres(tb testing.TB) (*devstack.Postgres, devstack.PostgresOptions) {
	tb.Helper()
	opts := devstack.PostgresOptions{DataDir: filepath.Join(Dir(tb), "pg"), Fast: true}
	pg, err := devstack.StartPostgres(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = pg.Stop() })
	return pg, opts
}

// Store creates the database name in the cluster and returns a migrated store on it, closed at
// cleanup.
func Store(tb testing.TB, pg *devstack.Postgres, name string) *postgres.Store {
	tb.Helper()
	ctx := context.Background()
	if err := pg.CreateDatabase(ctx, name); err != nil {
		tb.Fatal(err)
	}
	st, err := postgres.Open(ctx, pg.URL(name))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	st.SetSecretBox(SecretBox(tb))
	return st
}

// SecretBox returns a box under a fresh random key, for stores that seal webhook secrets.
func SecretBox(tb testing.TB) *secretbox.Box {
	tb.Helper()
	box, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		tb.Fatal(err)
	}
	return box
}
