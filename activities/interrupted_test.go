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
	"go.temporal.io/sdk/worker"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
	"github.com/herald-webhooks/herald/internal/signing"
	"github.com/herald-webhooks/herald/internal/wire"
)

// TestAnInterruptedAttemptIsInTheLog cuts a deliver activity while the receiver holds its
// request (the activity's context ends, as when its worker stops): the attempt is in the log,
// in flight; the next attempt shows it as interrupted and the log holds both requests.
func TestAnInterruptedAttemptIsInTheLog(t *testing.T) {
	ctx := context.Background()
	pg, _ := devstacktest.Postgres(t)
	store := devstacktest.Store(t, pg, "herald")

	workerCtx, stopWorker := context.WithCancel(ctx)
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the client going away
		if hits.Add(1) == 1 {
			stopWorker()         // the worker goes away while the endpoint holds the request
			<-r.Context().Done() // until Herald's side of the connection is gone
			return
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
	if _, _, err := store.InsertEvent(ctx, &herald.Event{ID: "evt_1", Type: "summary.completed", UserID: "u_1",
		Timestamp: time.Now(), Data: []byte(`{}`)}, []byte("evt_1")); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateDeliveries(ctx, "evt_1", []herald.NewDelivery{{ID: "dlv_1", EventID: "evt_1",
		WebhookID: "wh_1", Body: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	acts := &activities.Activities{Store: store, HTTP: activities.NewHTTPClient(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	in := wire.DeliverInput{DeliveryID: "dlv_1", Retry: wire.RetryPolicy{
		MaxAttempts: 3, InitialIntervalSeconds: 1, BackoffCoefficient: 1, MaxIntervalSeconds: 1}}
	deliver := func(background context.Context) error {
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestActivityEnvironment()
		env.SetWorkerOptions(worker.Options{BackgroundActivityContext: background})
		env.RegisterActivity(acts)
		_, err := env.ExecuteActivity(acts.Deliver, in)
		return err
	}

	if err := deliver(workerCtx); err == nil {
		t.Fatal("the cut attempt succeeded")
	}
	d, err := store.Delivery(ctx, "dlv_1")
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 || len(d.AttemptLog) != 1 || d.AttemptLog[0].ErrorKind != herald.AttemptInFlight ||
		d.AttemptLog[0].StatusCode != nil || d.Attempts != 1 {
		t.Fatalf("after a cut attempt: %d requests; delivery %+v", hits.Load(), d)
	}

	if err := deliver(ctx); err != nil {
		t.Fatalf("the next attempt: %v", err)
	}
	if d, err = store.Delivery(ctx, "dlv_1"); err != nil {
		t.Fatal(err)
	}
	log := d.AttemptLog
	if hits.Load() != 2 || len(log) != 2 || d.Status != herald.DeliverySucceeded || d.Attempts != 2 {
		t.Fatalf("after the next attempt: %d requests; delivery %+v", hits.Load(), d)
	}
	if log[0].Number != 1 || log[0].ErrorKind != herald.AttemptInterrupted || log[0].StatusCode != nil {
		t.Fatalf("the cut attempt: %+v, want number 1 interrupted", log[0])
	}
	if log[1].Number != 2 || log[1].StatusCode == nil || *log[1].StatusCode != 200 || log[1].ErrorKind != "" {
		t.Fatalf("the next attempt: %+v, want number 2 answered 200", log[1])
	}
}
