package postgres_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/devstack"
	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
	"github.com/herald-webhooks/herald/internal/postgres"
)

var pg *devstack.Postgres

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "herald-postgres-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	_ = os.Chmod(dir, 0o755)
	pg, err = devstack.StartPostgres(context.Background(), devstack.PostgresOptions{DataDir: filepath.Join(dir, "pg"), Fast: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pg.Stop()
	return m.Run()
}

var seq int

// mustOpenDB returns a store on a fresh database, not yet migrated.
func mustOpenDB(tb testing.TB) *postgres.Store {
	tb.Helper()
	seq++
	name := fmt.Sprintf("store_%d", seq)
	ctx := context.Background()
	if err := pg.CreateDatabase(ctx, name); err != nil {
		tb.Fatal(err)
	}
	st, err := postgres.Open(ctx, pg.URL(name))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	st.SetSecretBox(devstacktest.SecretBox(tb))
	return st
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()

	t.Run("a second run applies nothing", func(t *testing.T) {
		st := mustOpenDB(t)
		first, err := st.Migrate(ctx)
		if err != nil || first == 0 {
			t.Fatalf("first run: %d, %v", first, err)
		}
		if again, err := st.Migrate(ctx); err != nil || again != 0 {
			t.Fatalf("second run: %d, %v", again, err)
		}
	})

	t.Run("concurrent runs apply each migration once", func(t *testing.T) {
		st := mustOpenDB(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := st.Migrate(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		var versions int
		if err := st.DB().Get(&versions, `SELECT count(*) FROM herald_schema_migrations`); err != nil {
			t.Fatal(err)
		}
		if total != versions {
			t.Fatalf("applied %d in all, %d versions recorded", total, versions)
		}
	})
}

// TestMatchingWebhooks: SPEC section 5's fan-out. Disabled webhooks match too (their
// deliveries are recorded held, issue 12); inactive ones do not.
func TestMatchingWebhooks(t *testing.T) {
	ctx := context.Background()
	st := mustOpenDB(t)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"u_1", "u_2"} {
		if err := st.UpsertUser(ctx, herald.User{ID: u}); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range []string{"org_a", "org_b", "org_c"} {
		if err := st.UpsertOrganization(ctx, herald.Organization{ID: o}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []herald.Membership{{OrganizationID: "org_a", UserID: "u_1", Role: "member"},
		{OrganizationID: "org_b", UserID: "u_1", Role: "owner"}} {
		if err := st.UpsertMembership(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	hook := func(name string, user, org string, status herald.WebhookStatus, events ...string) {
		t.Helper()
		w := &herald.Webhook{ID: name, UserID: user, OrganizationID: org, URL: "https://example.com/" + name,
			Events: events, Status: status, Headers: map[string]string{}, TimeoutSeconds: 30,
			Format: herald.FormatEnvelope, Retry: herald.DefaultRetryPolicy, SecretPrefix: "whsec_"}
		if err := st.CreateWebhook(ctx, w, "whsec_c2VjcmV0"); err != nil {
			t.Fatal(err)
		}
	}
	hook("u1_summary", "u_1", "", herald.WebhookActive, "summary.completed")
	hook("u1_all", "u_1", "", herald.WebhookActive, "*")
	hook("u1_other", "u_1", "", herald.WebhookActive, "recording.created")
	hook("u1_inactive", "u_1", "", herald.WebhookInactive, "*")
	hook("u2_all", "u_2", "", herald.WebhookActive, "*")
	hook("orga_summary", "", "org_a", herald.WebhookActive, "summary.completed")
	hook("orgb_all", "", "org_b", herald.WebhookActive, "*")
	hook("orgb_disabled", "", "org_b", herald.WebhookDisabled, "*")
	hook("orgc_all", "", "org_c", herald.WebhookActive, "*")

	cases := []struct {
		name      string
		user, org string
		want      []string
	}{
		{"a user's event goes to the user's webhooks and to those of every organization the user belongs to",
			"u_1", "", []string{"orga_summary", "orgb_all", "orgb_disabled", "u1_all", "u1_summary"}},
		{"a user's event that names one organization goes to the user's and that organization's webhooks",
			"u_1", "org_b", []string{"orgb_all", "orgb_disabled", "u1_all", "u1_summary"}},
		{"an organization's event goes to that organization's webhooks only", "", "org_a", []string{"orga_summary"}},
		{"an event of a user in no organization goes to that user's webhooks only", "u_2", "", []string{"u2_all"}},
		{"an organization nobody subscribed gets nothing of another's", "", "org_c", []string{"orgc_all"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hooks, err := st.MatchingWebhooks(ctx, &herald.Event{Type: "summary.completed", UserID: c.user, OrganizationID: c.org})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hooks {
				got = append(got, h.ID)
			}
			sort.Strings(got)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestInsertEvent(t *testing.T) {
	ctx := context.Background()
	st := mustOpenDB(t)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ev := &herald.Event{ID: "evt_1", Type: "summary.completed", UserID: "u_1", Data: []byte(`{"n": 1.50}`)}

	_, created, err := st.InsertEvent(ctx, ev, []byte("hash-a"))
	if err != nil || !created {
		t.Fatalf("first insert: created=%v %v", created, err)
	}
	t.Run("the same id with the same hash returns the stored event", func(t *testing.T) {
		got, created, err := st.InsertEvent(ctx, ev, []byte("hash-a"))
		if err != nil || created || got.ID != "evt_1" {
			t.Fatalf("created=%v %v", created, err)
		}
		if string(got.Data) != `{"n": 1.50}` {
			t.Fatalf("data not kept byte for byte: %s", got.Data)
		}
	})
	t.Run("the same id with another hash is a conflict", func(t *testing.T) {
		if _, _, err := st.InsertEvent(ctx, ev, []byte("hash-b")); herald.ErrorCode(err) != herald.EConflict {
			t.Fatalf("err %v", err)
		}
	})
}
