package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/devstack"
	"github.com/herald-webhooks/herald/internal/temporalclient"
	"github.com/herald-webhooks/herald/starter"
)

// TestTemporalDownIsA503AndPublishingAgainCompletesTheEvent publishes while Temporal is down:
// 503; the same publish once Temporal is back is accepted and delivered.
func TestTemporalDownIsA503AndPublishingAgainCompletesTheEvent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	w := e.createWebhook("/users/u_1", r.URL+"/back", []string{"summary.completed"}, nil)
	r.register("/back", w.Secret)

	down, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := temporalclient.Dial(ctx, down.Address(), "default", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	down.Stop()
	srv := &api.Server{Store: e.store, Temporal: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Publisher: &starter.Publisher{Store: e.store, Temporal: c, TaskQueue: e.queue}}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	body := map[string]any{"id": e.ev("evt_down_1"), "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}
	healthy := e.api
	e.api = ts
	var out struct{ Error struct{ Code string } }
	code := e.do("POST", "/events", body, &out)
	e.api = healthy
	if code != 503 || out.Error.Code != "unavailable" {
		t.Fatalf("publish with Temporal down: %d %+v", code, out)
	}

	type published struct {
		Duplicate bool   `json:"duplicate"`
		Outcome   string `json:"outcome"`
	}
	var again published
	e.mustDo(202, "POST", "/events", body, &again)
	if again.Duplicate || again.Outcome != "resumed" {
		t.Fatalf("publish of a stored event whose fan-out never started: %+v, want duplicate false, outcome resumed", again)
	}
	d := e.waitDeliveries(e.ev("evt_down_1"), 1)[0]
	if d.Status != "succeeded" || len(r.requests("/back")) != 1 {
		raw, _ := json.Marshal(d)
		t.Fatalf("delivery %s, %d requests", raw, len(r.requests("/back")))
	}

	var third published
	e.mustDo(202, "POST", "/events", body, &third)
	if !third.Duplicate || third.Outcome != "duplicate" {
		t.Fatalf("publish of an event already fanned out: %+v, want duplicate true", third)
	}
	if n := len(r.requests("/back")); n != 1 {
		t.Fatalf("the duplicate publish sent %d requests, want none new", n-1)
	}
}
