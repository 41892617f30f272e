package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/herald-webhooks/herald/internal/wire"
)

// isNotFound is whether err is Temporal's not-found (a held delivery may have no workflow).
func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

// disableView is the part of a webhook read that tells whether, why and since when it is disabled.
type disableView struct {
	ID                   string     `json:"id"`
	Status               string     `json:"status"`
	DisabledReason       string     `json:"disabled_reason"`
	DisabledAt           *time.Time `json:"disabled_at"`
	FailingSince         *time.Time `json:"failing_since"`
	ConsecutiveFailures  int        `json:"consecutive_failures"`
	DisableAfterFailures int        `json:"disable_after_failures"`
	DisableAfterSeconds  int        `json:"disable_after_seconds"`
}

func (e *env) webhookView(scope, id string) disableView {
	e.t.Helper()
	var w disableView
	e.mustDo(200, "GET", scope+"/webhooks/"+id, nil, &w)
	return w
}

func (e *env) publishFor(id, userID string) {
	e.t.Helper()
	e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": "summary.completed", "user_id": userID,
		"data": map[string]any{"id": id}}, nil)
}

// TestAutoDisableNeedsTimeAndCount is issue 12's first item: a burst of failures does not disable
// a webhook under the default rule (a day of failing and 15 attempts); with a short failing
// duration it is disabled only once both hold, its pending deliveries and the events published
// while it is disabled are held, and an activation with recover_since delivers every one.
func TestAutoDisableNeedsTimeAndCount(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	heal := failUntilHealed(r)

	t.Run("a burst of failures does not disable a webhook under the default rule", func(t *testing.T) {
		w := e.createWebhook("/users/u_1", r.URL+"/burst", []string{"summary.completed"},
			map[string]any{"retry": retryWith(1, 1, 1, 1)})
		const n = 20 // more than the 15 attempts that disabled a webhook in under a second before
		for i := range n {
			e.publishFor(e.ev("evt_burst_"+itoa(i)), "u_1")
		}
		for i := range n {
			if d := e.waitDeliveries(e.ev("evt_burst_"+itoa(i)), 1)[0]; d.Status != "failed" {
				t.Fatalf("delivery %d: %+v, want failed", i, d)
			}
		}
		got := e.webhookView("/users/u_1", w.ID)
		if got.Status != "active" || got.ConsecutiveFailures != n || got.FailingSince == nil ||
			got.DisableAfterFailures != 15 || got.DisableAfterSeconds != 86400 {
			t.Fatalf("after %d failures in a burst: %+v, want active, failing, rule 15 attempts and 86400 s", n, got)
		}
	})

	// Each delivery fails once, then waits a minute for its next attempt: pending when the
	// webhook is disabled.
	w := e.createWebhook("/users/u_2", r.URL+"/down", []string{"summary.completed"},
		map[string]any{"retry": retryWith(3, 60, 1, 60), "disable_after_failures": 3, "disable_after_seconds": 2})
	r.register("/down", w.Secret)
	var published []string
	t.Run("with a short failing duration it is disabled after the duration and the attempts", func(t *testing.T) {
		var view disableView
		for i := 0; view.Status != "disabled"; i++ {
			if i > 60 {
				t.Fatalf("still %+v after %d events", view, i)
			}
			id := e.ev("evt_down_" + itoa(i))
			published = append(published, id)
			sent := len(r.requests("/down"))
			e.publishFor(id, "u_2")
			// Its first attempt fails, or it is held: the webhook was disabled meanwhile.
			waitFor(t, "an attempt or a hold", 30*time.Second, func() bool {
				var ev struct {
					Deliveries []delivery `json:"deliveries"`
				}
				e.mustDo(200, "GET", "/events/"+id, nil, &ev)
				return len(r.requests("/down")) > sent || (len(ev.Deliveries) == 1 && ev.Deliveries[0].Status == "held")
			})
			view = e.webhookView("/users/u_2", w.ID)
			if view.Status != "disabled" {
				time.Sleep(250 * time.Millisecond) // failures spread over time, as a live endpoint sees them
			}
		}
		if view.FailingSince == nil || view.DisabledAt == nil || view.DisabledReason == "" {
			t.Fatalf("a disabled webhook must say why and since when: %+v", view)
		}
		if failing := view.DisabledAt.Sub(*view.FailingSince); failing < 2*time.Second {
			t.Fatalf("disabled after failing for %s, want at least 2 s", failing)
		}
		if !strings.Contains(view.DisabledReason, "consecutive failed attempts") {
			t.Fatalf("disabled with reason %q", view.DisabledReason)
		}
		// The delivery whose attempt disabled the webhook failed; every other one is held.
		failed := 0
		for i, id := range published {
			d := e.waitDeliveries(id, 1)[0]
			switch {
			case d.Status == "failed" && d.Attempts == 1:
				failed++
			case d.Status == "held" && d.Attempts <= 1:
			default:
				t.Fatalf("delivery %d: %+v, want held, or failed after one attempt", i, d)
			}
		}
		if failed != 1 || len(r.requests("/down")) < 3 {
			t.Fatalf("%d failed deliveries, %d attempts: want 1 failed (the disabling one), at least 3 attempts",
				failed, len(r.requests("/down")))
		}
		for _, id := range published {
			wid := wire.DeliveryWorkflowID(id, w.ID)
			waitFor(t, "the delivery's workflow to close", 10*time.Second, func() bool {
				d, err := stack.Client.DescribeWorkflowExecution(context.Background(), wid, "")
				return (err == nil && d.GetWorkflowExecutionInfo().GetCloseTime() != nil) || isNotFound(err)
			})
		}
	})

	t.Run("events published while it is disabled are recorded held", func(t *testing.T) {
		before := len(r.requests("/down"))
		for i := range 3 {
			id := e.ev("evt_while_disabled_" + itoa(i))
			published = append(published, id)
			e.publishFor(id, "u_2")
			if d := e.waitDeliveries(id, 1)[0]; d.Status != "held" || d.Attempts != 0 {
				t.Fatalf("delivery while disabled %+v, want held without an attempt", d)
			}
		}
		var held struct {
			Data []delivery `json:"data"`
		}
		e.mustDo(200, "GET", "/webhooks/"+w.ID+"/deliveries?status=held&limit=100", nil, &held)
		if len(held.Data) != len(published)-1 {
			t.Fatalf("%d held deliveries listed, want %d", len(held.Data), len(published)-1)
		}
		if got := len(r.requests("/down")); got != before {
			t.Fatalf("a disabled webhook got %d requests", got-before)
		}
	})

	t.Run("activating with recover_since delivers everything the endpoint missed", func(t *testing.T) {
		heal()
		healedAt := len(r.requests("/down"))
		view := e.webhookView("/users/u_2", w.ID)
		var out struct {
			Status       string     `json:"status"`
			DisabledAt   *time.Time `json:"disabled_at"`
			FailingSince *time.Time `json:"failing_since"`
			Recovery     *struct {
				DisabledAt   *time.Time `json:"disabled_at"`
				FailingSince *time.Time `json:"failing_since"`
				Held         int        `json:"held"`
				Replay       struct {
					ID string `json:"id"`
				} `json:"replay"`
			} `json:"recovery"`
		}
		e.mustDo(200, "POST", "/webhooks/"+w.ID+"/activate", map[string]any{"recover_since": view.FailingSince}, &out)
		if out.Status != "active" || out.DisabledAt != nil || out.FailingSince != nil || out.Recovery == nil ||
			out.Recovery.Held != len(published)-1 || out.Recovery.Replay.ID == "" ||
			!out.Recovery.FailingSince.Equal(*view.FailingSince) || !out.Recovery.DisabledAt.Equal(*view.DisabledAt) {
			t.Fatalf("activate answered %+v (recovery %+v)", out, out.Recovery)
		}
		waitFor(t, "the recovery replay", 60*time.Second, func() bool {
			var rp struct {
				State string `json:"state"`
			}
			e.mustDo(200, "GET", "/replays/"+out.Recovery.Replay.ID, nil, &rp)
			return rp.State == "completed"
		})
		seen := map[string]bool{}
		for _, rq := range r.requests("/down")[healedAt:] {
			if rq.Verified {
				seen[rq.WebhookID] = true
			}
		}
		for _, id := range published {
			d := e.waitDeliveries(id, 1)[0]
			if d.Status != "succeeded" || !seen[id] {
				t.Fatalf("event %s after recovery: %+v (received: %v)", id, d, seen[id])
			}
		}
		id := e.ev("evt_after_activate")
		e.publishFor(id, "u_2")
		if d := e.waitDeliveries(id, 1)[0]; d.Status != "succeeded" {
			t.Fatalf("delivery after activation %+v", d)
		}
	})
}

// TestActivateAfterDisableSaysHowToRecover checks that an activation without recover_since
// tells since when the webhook failed and how to resend what it missed, and starts nothing.
func TestActivateAfterDisableSaysHowToRecover(t *testing.T) {
	e := newEnv(t)
	e.directory()
	w := e.createWebhook("/users/u_2", "http://127.0.0.1:9/x", []string{"summary.completed"}, nil)
	if _, err := e.store.DB().Exec(`UPDATE webhooks SET status = 'disabled', disabled_reason = 'test',
		disabled_at = now(), failing_since = now() - interval '1 day', consecutive_failures = 20 WHERE id = $1`, w.ID); err != nil {
		t.Fatal(err)
	}
	var raw json.RawMessage
	e.mustDo(200, "POST", "/webhooks/"+w.ID+"/activate", nil, &raw)
	var out struct {
		Recovery *struct {
			DisabledReason string `json:"disabled_reason"`
			Hint           string `json:"hint"`
			Replay         any    `json:"replay"`
		} `json:"recovery"`
	}
	_ = json.Unmarshal(raw, &out)
	if out.Recovery == nil || out.Recovery.DisabledReason != "test" || out.Recovery.Replay != nil ||
		!strings.Contains(out.Recovery.Hint, "recover_since") || !strings.Contains(out.Recovery.Hint, "failing since") {
		t.Fatalf("activate answered %s", raw)
	}
	e.mustDo(422, "POST", "/webhooks/"+w.ID+"/activate", map[string]any{"recover_since": time.Now().Add(time.Hour)}, nil)
}

// TestBigmindPresetDisablesAfter15Failures: a preset keeps its product's documented rule, and
// Bigmind documents a count: disabled after 15 failures, however fast they come.
func TestBigmindPresetDisablesAfter15Failures(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	failUntilHealed(r)
	var w disableView
	e.mustDo(201, "POST", "/users/u_2/webhooks", map[string]any{"url": r.URL + "/bigmind", "events": []string{"summary.completed"},
		"active": true, "preset": "bigmind", "retry": retryWith(1, 1, 1, 1)}, &w)
	if w.DisableAfterFailures != 15 || w.DisableAfterSeconds != 0 {
		t.Fatalf("bigmind webhook rule %+v, want 15 failures and no failing duration", w)
	}
	for i := range 15 {
		id := e.ev("evt_bigmind_" + itoa(i))
		e.publishFor(id, "u_2")
		if d := e.waitDeliveries(id, 1)[0]; d.Status != "failed" {
			t.Fatalf("delivery %d: %+v", i, d)
		}
		if got := e.webhookView("/users/u_2", w.ID); (got.Status == "disabled") != (i == 14) {
			t.Fatalf("after %d failures: %+v", i+1, got)
		}
	}
	id := e.ev("evt_bigmind_after")
	e.publishFor(id, "u_2")
	if d := e.waitDeliveries(id, 1)[0]; d.Status != "held" {
		t.Fatalf("delivery after the disable %+v, want held", d)
	}
}
