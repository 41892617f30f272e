package activities_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/devstack"
	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
	"github.com/herald-webhooks/herald/internal/signing"
	"github.com/herald-webhooks/herald/internal/wire"
)

// TestAPostgreSQLRestartCostsNoAttempt restarts a real PostgreSQL under the deliver activity,
// once before it sends and once while the endpoint answers: each time the attempt is sent once
// and logged once, and the activity succeeds instead of spending an attempt of the policy.
func TestAPostgreSQLRestartCostsNoAttempt(t *testing.T) {
	ctx := context.Background()
	pg, opts := devstacktest.Postgres(t)
	store := devstacktest.Store(t, pg, "herald")

	// restart stops PostgreSQL now and starts it again after a second, in the background.
	restarted := make(chan error, 1)
	restart := func() {
		if err := pg.Stop(); err != nil {
			t.Error(err)
		}
		go func() {
			time.Sleep(time.Second)
			p, err := devstack.StartPostgres(ctx, opts)
			if err == nil {
				pg = p
			}
			restarted <- err
		}()
	}
	var hits atomic.Int32
	restartInHandler := atomic.Bool{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if restartInHandler.Load() {
			restart()
		}
	}))
	defer recv.Close()

	if err := store.UpsertUser(ctx, herald.User{ID: "u_1"}); err != nil {
		t.Fatal(err)
	}
	secret := signing.NewSecret("whsec_")
	hook := &herald.Webhook{ID: "wh_1", UserID: "u_1", URL: recv.URL, Events: []string{"*"}, Status: herald.WebhookActive,
		Headers: map[string]string{}, TimeoutSeconds: 5, Format: herald.FormatEnvelope, Retry: herald.DefaultRetryPolicy,
		SecretPrefix: "whsec_", SecretHint: signing.Hint(secret)}
	if err := store.CreateWebhook(ctx, hook, secret); err != nil {
		t.Fatal(err)
	}
	acts := &activities.Activities{Store: store, HTTP: activities.NewHTTPClient(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}

	deliver := func(t *testing.T, eventID string, beforeAttempt func()) {
		t.Helper()
		if _, _, err := store.InsertEvent(ctx, &herald.Event{ID: eventID, Type: "summary.completed", UserID: "u_1",
			Timestamp: time.Now(), Data: []byte(`{}`)}, []byte(eventID)); err != nil {
			t.Fatal(err)
		}
		ds, err := store.CreateDeliveries(ctx, eventID, []herald.NewDelivery{{ID: "dlv_" + eventID, EventID: eventID,
			WebhookID: "wh_1", Body: []byte(`{}`)}})
		if err != nil {
			t.Fatal(err)
		}
		hits.Store(0)
		beforeAttempt()
		var env testsuite.WorkflowTestSuite
		aenv := env.NewTestActivityEnvironment()
		aenv.RegisterActivity(acts)
		fut, err := aenv.ExecuteActivity(acts.Deliver, wire.DeliverInput{DeliveryID: ds[0].ID, Retry: wire.RetryPolicy{
			MaxAttempts: 1, InitialIntervalSeconds: 1, BackoffCoefficient: 1, MaxIntervalSeconds: 1}})
		if err != nil {
			t.Fatalf("deliver: %v", err)
		}
		var res wire.DeliverResult
		if err := fut.Get(&res); err != nil || res.Status != string(herald.DeliverySucceeded) {
			t.Fatalf("result %+v %v", res, err)
		}
		if err := <-restarted; err != nil {
			t.Fatalf("restart PostgreSQL: %v", err)
		}
		d, err := store.Delivery(ctx, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if hits.Load() != 1 || d.Status != herald.DeliverySucceeded || len(d.AttemptLog) != 1 {
			t.Fatalf("sent %d times; delivery %+v", hits.Load(), d)
		}
	}

	t.Run("PostgreSQL down when the attempt starts", func(t *testing.T) {
		deliver(t, "evt_before", restart)
	})
	t.Run("PostgreSQL down while the endpoint answers", func(t *testing.T) {
		defer restartInHandler.Store(false)
		deliver(t, "evt_during", func() { restartInHandler.Store(true) })
	})
}
