package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/signing"
	"github.com/herald-webhooks/herald/internal/wire"
	"github.com/herald-webhooks/herald/workflows"
)

// TestFanOutBeyondTwoThousandDestinations publishes one event that 2,100 webhooks match, more
// than the 2,000 pending children Temporal allows one workflow run (before paged fan-out: the
// event workflow failed its workflow task for ever and nothing was delivered): every webhook
// receives it. It takes minutes, so it runs only when asked:
// HERALD_FANOUT_DESTINATIONS=2100 (or 5000) go test ./api -run TestFanOutBeyond -timeout 90m.
// It logs the time, the event workflow's runs (continue-as-new) and their history lengths.
func TestFanOutBeyondTwoThousandDestinations(t *testing.T) {
	v := os.Getenv("HERALD_FANOUT_DESTINATIONS")
	if v == "" {
		t.Skip("set HERALD_FANOUT_DESTINATIONS=2100 (or more) to fan one event out to that many webhooks")
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("HERALD_FANOUT_DESTINATIONS: %v", err)
	}
	e := newEnv(t)
	e.directory()
	r := newCountingReceiver(t, n)
	e.createPlainWebhooks(r.URL, n)
	id := e.ev("evt_fanout_wide")
	start := time.Now()
	e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": "summary.completed", "user_id": "u_1",
		"data": map[string]any{}}, nil)
	runs := waitFanOut(t, id, r, n)
	t.Logf("%d destinations: all delivered in %s; event workflow: %d runs (%d continue-as-new), history lengths %v",
		n, time.Since(start).Round(time.Millisecond), len(runs), len(runs)-1, runs)
}

// TestFanOutRunsInWavesAndContinuesAsNew fans an event out to 13 webhooks in waves of 2
// children: seven resolve pages, two waves per run, so four runs of the event workflow, each
// continuing the last with the cursor; every webhook receives the event once.
func TestFanOutRunsInWavesAndContinuesAsNew(t *testing.T) {
	const n = 13
	ctx := context.Background()
	e := newEnv(t)
	e.directory()
	r := newCountingReceiver(t, n)
	e.createPlainWebhooks(r.URL, n)
	id := e.ev("evt_fanout_waves")
	if _, _, err := e.store.InsertEvent(ctx, &herald.Event{ID: id, Type: "summary.completed", UserID: "u_1",
		Timestamp: time.Now(), Data: []byte(`{}`)}, []byte(id)); err != nil {
		t.Fatal(err)
	}
	if _, err := stack.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wire.EventWorkflowID(id), TaskQueue: e.queue},
		workflows.EventWorkflow, wire.EventInput{EventID: id, WaveSize: 2}); err != nil {
		t.Fatal(err)
	}
	if runs := waitFanOut(t, id, r, n); len(runs) != 4 {
		t.Fatalf("the event workflow ran %d times (history lengths %v), want 4: 7 waves, 2 per run", len(runs), runs)
	}
	if got := r.count(); got != n {
		t.Fatalf("%d distinct deliveries, want %d", got, n)
	}
}

// createPlainWebhooks creates n active webhooks of u_1 for summary.completed, at base/f/<i>.
func (e *env) createPlainWebhooks(base string, n int) {
	e.t.Helper()
	for i := range n {
		secret := signing.NewSecret(signing.DefaultSecretPrefix)
		w := &herald.Webhook{
			ID: herald.NewID("wh_"), UserID: "u_1", URL: base + "/f/" + strconv.Itoa(i),
			Events: []string{"summary.completed"}, Status: herald.WebhookActive, Headers: map[string]string{},
			TimeoutSeconds: 30, Format: herald.FormatEnvelope, Retry: herald.DefaultRetryPolicy,
			SecretPrefix: signing.DefaultSecretPrefix, SecretHint: signing.Hint(secret),
		}
		if err := e.store.CreateWebhook(context.Background(), w, secret); err != nil {
			e.t.Fatal(err)
		}
	}
}

// waitFanOut waits until the event workflow has started n deliveries and the receiver has
// seen n, and returns the history length of each of the workflow's runs, first to last.
func waitFanOut(t *testing.T, eventID string, r *countingReceiver, n int) []int {
	t.Helper()
	ctx := context.Background()
	var res wire.EventResult
	if err := stack.Client.GetWorkflow(ctx, wire.EventWorkflowID(eventID), "").Get(ctx, &res); err != nil {
		t.Fatalf("event workflow: %v", err)
	}
	if res.Started != n {
		t.Fatalf("the event workflow started %d deliveries, want %d", res.Started, n)
	}
	select {
	case <-r.all:
	case <-time.After(10 * time.Minute):
		t.Fatalf("%d of %d webhooks received the event", r.count(), n)
	}
	var runs []int
	run := ""
	for {
		events, prev := historyOf(t, wire.EventWorkflowID(eventID), run)
		runs = append([]int{events}, runs...)
		if prev == "" {
			return runs
		}
		run = prev
	}
}

// historyOf counts the events of one run of a workflow (the latest when run is empty) and
// returns the run it continued, if any.
func historyOf(t *testing.T, workflowID, run string) (events int, continued string) {
	t.Helper()
	it := stack.Client.GetWorkflowHistory(context.Background(), workflowID, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			continued = a.GetContinuedExecutionRunId()
		}
		events++
	}
	return events, continued
}

// countingReceiver answers 200 and counts distinct (path, webhook-id) pairs; all closes when
// it has seen want of them.
type countingReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]bool
	all  chan struct{}
}

func newCountingReceiver(t *testing.T, want int) *countingReceiver {
	r := &countingReceiver{seen: map[string]bool{}, all: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		key := fmt.Sprintf("%s|%s", req.URL.Path, req.Header.Get("webhook-id"))
		r.mu.Lock()
		if !r.seen[key] {
			r.seen[key] = true
			if len(r.seen) == want {
				close(r.all)
			}
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *countingReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}
