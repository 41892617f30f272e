package devstack_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/devstack"
	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
	"github.com/herald-webhooks/herald/internal/signing"
	"github.com/herald-webhooks/herald/starter"
	"github.com/herald-webhooks/herald/worker"
)

// TestAStackRestartKeepsDataAndInFlightDeliveries is `herald dev` stopped while a delivery
// waits for its retry and started again on the same data dir: the delivery completes.
func TestAStackRestartKeepsDataAndInFlightDeliveries(t *testing.T) {
	dir := devstacktest.Dir(t)
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	var up atomic.Bool
	var hits atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if !up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer recv.Close()

	box := devstacktest.SecretBox(t) // the same key across the restart, as dev keeps it in the data dir
	start := func() (*devstack.Stack, sdkworker.Worker) {
		t.Helper()
		st, err := devstack.Start(ctx, devstack.StackOptions{DataDir: dir, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		st.Store.SetSecretBox(box)
		w := worker.New(st.Client, &activities.Activities{Store: st.Store, HTTP: activities.NewHTTPClient(), Logger: logger},
			sdkworker.Options{})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		return st, w
	}

	st, w := start()
	if err := st.Store.UpsertEventType(ctx, herald.EventType{Name: "summary.completed"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Store.UpsertUser(ctx, herald.User{ID: "u_1"}); err != nil {
		t.Fatal(err)
	}
	secret := signing.NewSecret("whsec_")
	hook := &herald.Webhook{ID: herald.NewID("wh_"), UserID: "u_1", URL: recv.URL, Events: []string{"*"},
		Status: herald.WebhookActive, Headers: map[string]string{}, TimeoutSeconds: 5, Format: herald.FormatEnvelope,
		Retry:        herald.RetryPolicy{MaxAttempts: 10, InitialIntervalSeconds: 3, BackoffCoefficient: 1, MaxIntervalSeconds: 3},
		SecretPrefix: "whsec_", SecretHint: signing.Hint(secret)}
	if err := st.Store.CreateWebhook(ctx, hook, secret); err != nil {
		t.Fatal(err)
	}
	pub := &starter.Publisher{Store: st.Store, Temporal: st.Client}
	res, err := pub.Publish(ctx, starter.Event{Type: "summary.completed", UserID: "u_1", Data: []byte(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the first attempt", func() bool {
		ds, _ := st.Store.EventDeliveries(ctx, res.Event.ID)
		return len(ds) == 1 && ds[0].Attempts >= 1
	})
	w.Stop()
	st.Close()

	up.Store(true)
	st, w = start()
	defer st.Close()
	defer w.Stop()
	waitFor(t, 25*time.Second, "the delivery to succeed after the restart", func() bool {
		ds, _ := st.Store.EventDeliveries(ctx, res.Event.ID)
		return len(ds) == 1 && ds[0].Status == herald.DeliverySucceeded
	})
	if _, err := st.Store.Event(ctx, res.Event.ID); err != nil {
		t.Fatalf("event lost across the restart: %v", err)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
