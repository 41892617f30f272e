package postgres_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
	"github.com/herald-webhooks/herald/internal/postgres"
)

func newHook(t *testing.T, st *postgres.Store, id, secret string) {
	t.Helper()
	ctx := context.Background()
	if err := st.UpsertUser(ctx, herald.User{ID: "u_1"}); err != nil {
		t.Fatal(err)
	}
	w := &herald.Webhook{ID: id, UserID: "u_1", URL: "https://example.com/" + id, Events: []string{"*"},
		Status: herald.WebhookActive, TimeoutSeconds: 30, Format: herald.FormatEnvelope, Retry: herald.DefaultRetryPolicy,
		SecretPrefix: "whsec_"}
	if err := st.CreateWebhook(ctx, w, secret); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.InsertEvent(ctx, &herald.Event{ID: "evt_" + id, Type: "x", UserID: "u_1", Timestamp: time.Now(),
		Data: []byte(`{}`)}, []byte("h")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateDeliveries(ctx, "evt_"+id, []herald.NewDelivery{{ID: "dlv_" + id, EventID: "evt_" + id,
		WebhookID: id, Body: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
}

func targetSecrets(t *testing.T, st *postgres.Store, id string) []string {
	t.Helper()
	tg, err := st.DeliveryTarget(context.Background(), "dlv_"+id)
	if err != nil {
		t.Fatal(err)
	}
	return tg.Secrets
}

func TestSecretRotation(t *testing.T) {
	ctx := context.Background()
	st := mustOpenDB(t)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	newHook(t, st, "wh_r", "whsec_b2xkb2xkb2xk")

	t.Run("a delivery target carries the current secret, opened", func(t *testing.T) {
		if got := targetSecrets(t, st, "wh_r"); len(got) != 1 || got[0] != "whsec_b2xkb2xkb2xk" {
			t.Fatalf("secrets %v", got)
		}
	})
	t.Run("during a rotation's grace period both secrets sign, newest first", func(t *testing.T) {
		w, err := st.RotateSecret(ctx, "wh_r", "whsec_bmV3bmV3bmV3", time.Hour)
		if err != nil || w.SecretHint != "whsec_****" {
			t.Fatalf("rotate: %+v %v", w, err)
		}
		if got := targetSecrets(t, st, "wh_r"); len(got) != 2 || got[0] != "whsec_bmV3bmV3bmV3" || got[1] != "whsec_b2xkb2xkb2xk" {
			t.Fatalf("secrets %v", got)
		}
	})
	t.Run("once the grace period is over only the new secret signs", func(t *testing.T) {
		if _, err := st.DB().Exec(`UPDATE webhook_secrets SET expires_at = now() - interval '1 second'
			WHERE webhook_id = 'wh_r' AND expires_at IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
		if got := targetSecrets(t, st, "wh_r"); len(got) != 1 || got[0] != "whsec_bmV3bmV3bmV3" {
			t.Fatalf("secrets %v", got)
		}
	})
	t.Run("a store under another key refuses to open the secrets instead of signing with garbage", func(t *testing.T) {
		other := mustOpenDBNamed(t, st)
		if _, err := other.DeliveryTarget(ctx, "dlv_wh_r"); err == nil || !strings.Contains(err.Error(), "HERALD_SECRET_KEY") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("deleting the webhook erases its secrets and cancels its pending deliveries", func(t *testing.T) {
		cancelled, err := st.DeleteWebhook(ctx, "wh_r")
		if err != nil || len(cancelled) != 1 || cancelled[0].ID != "dlv_wh_r" {
			t.Fatalf("cancelled %+v %v", cancelled, err)
		}
		var n int
		if err := st.DB().Get(&n, `SELECT count(*) FROM webhook_secrets WHERE webhook_id = 'wh_r'`); err != nil || n != 0 {
			t.Fatalf("%d secrets left (%v)", n, err)
		}
		d, err := st.Delivery(ctx, "dlv_wh_r")
		if err != nil || d.Status != herald.DeliveryCancelled {
			t.Fatalf("delivery %+v %v", d, err)
		}
	})
}

// mustOpenDBNamed opens the database of st again, with a box under a fresh key.
func mustOpenDBNamed(t *testing.T, st *postgres.Store) *postgres.Store {
	t.Helper()
	var name string
	if err := st.DB().Get(&name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	other, err := postgres.Open(context.Background(), pg.URL(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	other.SetSecretBox(devstacktest.SecretBox(t))
	return other
}

func TestMigrationRefusesPlaintextSecrets(t *testing.T) {
	ctx := context.Background()
	st := mustOpenDB(t)
	// The database of an earlier version: the first schema, with one webhook and its plaintext secret.
	first, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(first),
		`CREATE TABLE herald_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		`INSERT INTO herald_schema_migrations (version, name) VALUES (1, '0001_init.sql')`,
		`INSERT INTO users (id) VALUES ('u_1')`,
		`INSERT INTO webhooks (id, user_id, url, status, timeout_seconds, retry, secret, secret_hint)
		 VALUES ('wh_old', 'u_1', 'https://example.com', 'active', 30, '{}', 'whsec_cGxhaW4=', 'whsec_****')`,
	} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_, err = st.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "plaintext secrets") || !strings.Contains(err.Error(), ".herald") {
		t.Fatalf("migrate: %v", err)
	}
	var hasSecret bool
	if err := st.DB().Get(&hasSecret, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_name = 'webhooks' AND column_name = 'secret')`); err != nil || !hasSecret {
		t.Fatalf("the refused migration changed the schema (%v)", err)
	}
}
