package api_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/internal/wire"
	"github.com/herald-webhooks/herald/workflows"
)

// policy is a retry policy in the API's shape.
func retryWith(max int, initial, coef, maxInterval float64) map[string]any {
	return map[string]any{"max_attempts": max, "initial_interval_seconds": initial,
		"backoff_coefficient": coef, "max_interval_seconds": maxInterval}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// failUntilHealed makes the receiver answer 500 until the returned heal is called, 200 after.
func failUntilHealed(r *receiver) (heal func()) {
	var healthy atomic.Bool
	r.answer = func(string, int) int {
		if healthy.Load() {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	}
	return func() { healthy.Store(true) }
}

func TestRetryTiming(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	r.answer = func(path string, n int) int {
		if path == "/later" && n == 1 {
			return http.StatusServiceUnavailable
		}
		if path == "/later" {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	}
	r.header = func(path string, n int) http.Header {
		if path == "/later" && n == 1 {
			return http.Header{"Retry-After": {"2"}}
		}
		return nil
	}
	failing := e.createWebhook("/users/u_2", r.URL+"/failing", []string{"summary.completed"},
		map[string]any{"retry": retryWith(3, 1, 2, 4)})
	r.register("/failing", failing.Secret)
	later := e.createWebhook("/organization/org_1", r.URL+"/later", []string{"summary.completed"},
		map[string]any{"retry": retryWith(3, 0.2, 1, 5)})
	r.register("/later", later.Secret)

	e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_timing"), "event": "summary.completed",
		"user_id": "u_2", "data": map[string]any{"n": 1}}, nil)
	e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_later"), "event": "summary.completed",
		"organization_id": "org_1", "data": map[string]any{"n": 2}}, nil)

	t.Run("attempts follow the policy's intervals and stop at the attempt limit", func(t *testing.T) {
		d := e.waitDeliveries(e.ev("evt_timing"), 1)[0]
		if d.Status != "failed" || d.Attempts != 3 {
			t.Fatalf("delivery %+v, want failed after 3 attempts", d)
		}
		time.Sleep(4500 * time.Millisecond) // a fourth attempt would come 4 s after the third
		got := r.requests("/failing")
		if len(got) != 3 {
			t.Fatalf("receiver got %d requests, want 3", len(got))
		}
		// Temporal fires timers with about a second of granularity: a gap may be up to ~1 s late.
		for i, want := range []float64{1, 2} {
			gap := got[i+1].At.Sub(got[i].At).Seconds()
			if gap < want-0.05 || gap > want+1.1 {
				t.Errorf("gap after attempt %d = %.2fs, want %.1fs", i+1, gap, want)
			}
		}
	})
	t.Run("Retry-After on a 503 sets the next attempt's delay", func(t *testing.T) {
		d := e.waitDeliveries(e.ev("evt_later"), 1)[0]
		if d.Status != "succeeded" || d.Attempts != 2 {
			t.Fatalf("delivery %+v, want succeeded on the second attempt", d)
		}
		got := r.requests("/later")
		if gap := got[1].At.Sub(got[0].At).Seconds(); gap < 1.95 || gap > 3.2 {
			t.Fatalf("second attempt came %.2fs after the first, want about 2s (Retry-After), not 0.2s", gap)
		}
	})
}

func TestGoneDisablesWebhook(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	r.answer = func(string, int) int { return http.StatusGone }
	w := e.createWebhook("/users/u_2", r.URL+"/gone", []string{"summary.completed"},
		map[string]any{"retry": retryWith(5, 0.1, 1, 0.1)})
	e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_gone"), "event": "summary.completed",
		"user_id": "u_2", "data": map[string]any{}}, nil)
	d := e.waitDeliveries(e.ev("evt_gone"), 1)[0]
	if d.Status != "failed" || d.Attempts != 1 {
		t.Fatalf("delivery %+v, want failed after one attempt", d)
	}
	var got struct {
		Status         string `db:"status"`
		DisabledReason string `db:"disabled_reason"`
	}
	if err := e.store.DB().Get(&got, `SELECT status, disabled_reason FROM webhooks WHERE id = $1`, w.ID); err != nil {
		t.Fatal(err)
	}
	if got.Status != "disabled" || got.DisabledReason == "" {
		t.Fatalf("webhook %+v, want disabled with a reason", got)
	}
}

func TestRedeliverAndReplay(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	heal := failUntilHealed(r)
	one := e.createWebhook("/users/u_2", r.URL+"/one", []string{"summary.completed"},
		map[string]any{"retry": retryWith(1, 1, 1, 1)})
	r.register("/one", one.Secret)
	many := e.createWebhook("/users/u_2", r.URL+"/many", []string{"recording.created"},
		map[string]any{"retry": retryWith(1, 1, 1, 1)})
	r.register("/many", many.Secret)
	for _, id := range []string{one.ID, many.ID} { // fifty failures must not disable them here
		if _, err := e.store.DB().Exec(`UPDATE webhooks SET disable_after_failures = 0 WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
	}

	e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_redeliver"), "event": "summary.completed",
		"user_id": "u_2", "data": map[string]any{"n": 1}}, nil)
	failed := e.waitDeliveries(e.ev("evt_redeliver"), 1)[0]
	if failed.Status != "failed" {
		t.Fatalf("delivery %+v, want failed", failed)
	}
	const n = 50
	for i := range n {
		e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_replay_" + itoa(i)), "event": "recording.created",
			"user_id": "u_2", "data": map[string]any{"i": i}}, nil)
	}
	for i := range n {
		e.waitDeliveries(e.ev("evt_replay_"+itoa(i)), 1)
	}
	heal()

	t.Run("a failed delivery redelivered manually succeeds and both runs are in the log", func(t *testing.T) {
		var out struct {
			WorkflowID string `json:"workflow_id"`
		}
		e.mustDo(202, "POST", "/deliveries/"+failed.ID+"/redeliver", nil, &out)
		var d delivery
		waitFor(t, "the redelivery", 20*time.Second, func() bool {
			e.mustDo(200, "GET", "/deliveries/"+failed.ID, nil, &d)
			return d.Status == "succeeded"
		})
		if len(d.AttemptLog) != 2 || d.AttemptLog[0].Trigger != "auto" || d.AttemptLog[1].Trigger != "manual" ||
			*d.AttemptLog[1].StatusCode != 200 {
			t.Fatalf("attempt log %+v, want an auto attempt then a manual 200", d.AttemptLog)
		}
		got := r.requests("/one")
		if len(got) != 2 || !got[1].Verified || got[1].WebhookID != e.ev("evt_redeliver") ||
			string(got[1].Body) != string(got[0].Body) {
			t.Fatalf("redelivery did not resend the same signed message: %d requests", len(got))
		}
		if out.WorkflowID == wire.DeliveryWorkflowID(failed.EventID, failed.WebhookID) {
			t.Fatal("the redelivery reused the delivery's workflow ID")
		}
	})
	t.Run("a pending delivery cannot be redelivered", func(t *testing.T) {
		if _, err := e.store.DB().Exec(`UPDATE deliveries SET status = 'pending' WHERE id = $1`, failed.ID); err != nil {
			t.Fatal(err)
		}
		defer e.store.DB().Exec(`UPDATE deliveries SET status = 'succeeded' WHERE id = $1`, failed.ID)
		if code := e.do("POST", "/deliveries/"+failed.ID+"/redeliver", nil, nil); code != 409 {
			t.Fatalf("redeliver of a pending delivery: %d, want 409", code)
		}
	})
	t.Run("replay of 50 failed deliveries redelivers each once", func(t *testing.T) {
		var rp struct {
			ID string `json:"id"`
		}
		e.mustDo(202, "POST", "/webhooks/"+many.ID+"/replay", map[string]any{"status": []string{"failed"}}, &rp)
		var progress struct {
			State    string `json:"state"`
			Progress struct {
				Found, Started, Succeeded, Failed int
				Done                              bool
			} `json:"progress"`
		}
		waitFor(t, "the replay", 60*time.Second, func() bool {
			e.mustDo(200, "GET", "/replays/"+rp.ID, nil, &progress)
			return progress.State == "completed"
		})
		p := progress.Progress
		if p.Found != n || p.Started != n || p.Succeeded != n || p.Failed != 0 {
			t.Fatalf("progress %+v, want %d found, started and succeeded", p, n)
		}
		// The REST names are the API's, not those of the workflow's result (internal/wire).
		var raw struct {
			Progress map[string]any `json:"progress"`
		}
		e.mustDo(200, "GET", "/replays/"+rp.ID, nil, &raw)
		for _, k := range []string{"found", "started", "succeeded", "failed", "done"} {
			if _, ok := raw.Progress[k]; !ok || len(raw.Progress) != 5 {
				t.Fatalf("progress %v, want the keys found, started, succeeded, failed and done", raw.Progress)
			}
		}
		perEvent := map[string]int{}
		for _, g := range r.requests("/many") {
			if !g.Verified {
				t.Fatal("a replayed request did not verify")
			}
			perEvent[g.WebhookID]++
		}
		if len(perEvent) != n {
			t.Fatalf("receiver saw %d events, want %d", len(perEvent), n)
		}
		for id, c := range perEvent {
			if c != 2 {
				t.Fatalf("event %s was sent %d times, want 2 (the failed attempt and one replay)", id, c)
			}
		}
		var left int
		if err := e.store.DB().Get(&left, `SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND status <> 'succeeded'`, many.ID); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Fatalf("%d deliveries not succeeded after the replay", left)
		}
	})
	t.Run("bad replay requests are refused", func(t *testing.T) {
		if code := e.do("POST", "/webhooks/"+many.ID+"/replay", map[string]any{"status": []string{"pending"}}, nil); code != 422 {
			t.Fatalf("replay of pending: %d, want 422", code)
		}
		if code := e.do("POST", "/webhooks/"+many.ID+"/replay", map[string]any{"since": "2026-02-02T00:00:00Z",
			"until": "2026-01-01T00:00:00Z"}, nil); code != 422 {
			t.Fatalf("replay with until before since: %d, want 422", code)
		}
	})
}

func TestDeliveryStateQuery(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	r.answer = func(string, int) int { return http.StatusBadGateway }
	w := e.createWebhook("/users/u_2", r.URL+"/bad", []string{"summary.completed"},
		map[string]any{"retry": retryWith(5, 0.3, 1, 0.3)})
	id := e.ev("evt_query")
	e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": "summary.completed", "user_id": "u_2",
		"data": map[string]any{}}, nil)
	wid := wire.DeliveryWorkflowID(id, w.ID)
	var st workflows.DeliveryState
	waitFor(t, "three failed attempts in the state query", 30*time.Second, func() bool {
		v, err := stack.Client.QueryWorkflow(context.Background(), wid, "", wire.QueryState)
		if err != nil || v.Get(&st) != nil {
			return false
		}
		return st.Attempt >= 3
	})
	if st.LastStatusCode != 502 || st.LastError == "" || st.Status != "pending" && st.Status != "failed" {
		t.Fatalf("state %+v, want the last 502 and its error", st)
	}
	if st.Status == "pending" && st.NextAttemptAt == nil {
		t.Fatalf("state %+v: a pending delivery must say when it retries", st)
	}

	t.Run("cancelling it over REST stops its attempts and marks it cancelled", func(t *testing.T) {
		var ev struct {
			Deliveries []delivery `json:"deliveries"`
		}
		e.mustDo(200, "GET", "/events/"+id, nil, &ev)
		var d delivery
		e.mustDo(200, "POST", "/deliveries/"+ev.Deliveries[0].ID+"/cancel", nil, &d)
		if d.Status != "cancelled" {
			t.Fatalf("delivery %+v, want cancelled", d)
		}
		waitFor(t, "the workflow to close", 10*time.Second, func() bool {
			desc, err := stack.Client.DescribeWorkflowExecution(context.Background(), wid, "")
			return err == nil && desc.GetWorkflowExecutionInfo().GetCloseTime() != nil
		})
		n := len(r.requests("/bad"))
		time.Sleep(time.Second)
		if len(r.requests("/bad")) != n {
			t.Fatal("attempts went on after the cancel")
		}
		e.mustDo(200, "GET", "/deliveries/"+d.ID, nil, &d)
		if d.Status != "cancelled" {
			t.Fatalf("delivery %+v after the workflow closed, want cancelled", d)
		}
		if code := e.do("POST", "/deliveries/"+d.ID+"/cancel", nil, nil); code != 409 {
			t.Fatalf("cancel of a cancelled delivery: %d, want 409", code)
		}
	})
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func TestDeliveryAttemptsAreCounted(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	count := func() float64 {
		resp, err := http.Get(e.api.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, `herald_delivery_attempts_total{outcome="success",trigger="auto"}`) {
				f, _ := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
				return f
			}
		}
		return 0
	}
	before := count()
	e.createWebhook("/users/u_2", r.URL+"/ok", []string{"summary.completed"}, nil)
	id := e.ev("evt_metrics")
	e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": "summary.completed", "user_id": "u_2",
		"data": map[string]any{}}, nil)
	e.waitDeliveries(id, 1)
	if after := count(); after < before+1 {
		t.Fatalf("herald_delivery_attempts_total{auto,success} went from %v to %v after a delivery", before, after)
	}
}

// TestTerminatedReplayIsNotRunning terminates a replay workflow while its redelivery is held
// by the receiver: GET /replays/{id} then says terminated, not running.
func TestTerminatedReplayIsNotRunning(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	r.answer = func(_ string, n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		<-release // the replay's redelivery waits here until the test ends
		return http.StatusOK
	}
	w := e.createWebhook("/users/u_1", r.URL+"/held", []string{"summary.completed"},
		map[string]any{"retry": retryWith(1, 1, 1, 1)})
	e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_replay_term"), "event": "summary.completed",
		"user_id": "u_1", "data": map[string]any{}}, nil)
	if d := e.waitDeliveries(e.ev("evt_replay_term"), 1)[0]; d.Status != "failed" {
		t.Fatalf("delivery %+v, want failed", d)
	}

	var rp struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	e.mustDo(202, "POST", "/webhooks/"+w.ID+"/replay", nil, &rp)
	waitFor(t, "the replay's redelivery to reach the receiver", 20*time.Second, func() bool {
		return len(r.requests("/held")) == 2
	})
	var got struct {
		State    string `json:"state"`
		Progress struct{ Found, Started int }
	}
	e.mustDo(200, "GET", "/replays/"+rp.ID, nil, &got)
	if got.State != "running" {
		t.Fatalf("state while the redelivery is held: %q, want running", got.State)
	}
	if err := stack.Client.TerminateWorkflow(ctx, wire.ReplayWorkflowID(rp.ID), "", "the test terminates it"); err != nil {
		t.Fatal(err)
	}
	e.mustDo(200, "GET", "/replays/"+rp.ID, nil, &got)
	if got.State != "terminated" {
		t.Fatalf("state of a terminated replay: %q, want terminated", got.State)
	}
	if got.Progress.Found != 1 || got.Progress.Started != 1 {
		t.Fatalf("progress of the terminated replay %+v, want 1 found and started", got.Progress)
	}
}
