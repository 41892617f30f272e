package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/herald-webhooks/herald/internal/wire"
)

// TestRecordHistories writes the histories workflows/replay_test.go replays, from real runs:
// HERALD_RECORD_HISTORIES=1 go test ./api -run TestRecordHistories. Record them again, and keep
// the old files, whenever a workflow's commands change on purpose.
func TestRecordHistories(t *testing.T) {
	if os.Getenv("HERALD_RECORD_HISTORIES") == "" {
		t.Skip("set HERALD_RECORD_HISTORIES=1 to record workflow histories into workflows/testdata")
	}
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	r.answer = func(path string, n int) int {
		switch {
		case path == "/flaky" && n <= 2:
			return http.StatusInternalServerError
		case path == "/gone":
			return http.StatusGone
		case path == "/down":
			return http.StatusServiceUnavailable
		case path == "/broken":
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	hook := func(path string, retry map[string]any) webhook {
		return e.createWebhook("/users/u_2", r.URL+path, []string{"summary.completed"}, map[string]any{"retry": retry})
	}
	ok1, ok2, ok3 := hook("/ok1", retryWith(3, 1, 2, 4)), hook("/ok2", retryWith(3, 1, 2, 4)), hook("/ok3", retryWith(3, 1, 2, 4))
	_ = ok2
	_ = ok3
	publish := func(id string) string {
		id = e.ev(id)
		e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": "summary.completed", "user_id": "u_2",
			"data": map[string]any{"n": 1}}, nil)
		return id
	}
	fanout := publish("evt_fanout")
	e.waitDeliveries(fanout, 3)

	for _, id := range []string{ok1.ID, ok2.ID, ok3.ID} {
		e.mustDo(200, "POST", "/webhooks/"+id+"/deactivate", nil, nil)
	}
	flaky := hook("/flaky", retryWith(5, 1, 1, 1))
	retried := publish("evt_flaky")
	e.waitDeliveries(retried, 1)
	e.mustDo(200, "POST", "/webhooks/"+flaky.ID+"/deactivate", nil, nil)

	gone := hook("/gone", retryWith(5, 1, 1, 1))
	goneEv := publish("evt_gone")
	e.waitDeliveries(goneEv, 1)

	broken := hook("/broken", retryWith(2, 1, 1, 1))
	failed := publish("evt_failed")
	e.waitDeliveries(failed, 1)
	e.mustDo(200, "POST", "/webhooks/"+broken.ID+"/deactivate", nil, nil)

	down := hook("/down", retryWith(5, 60, 1, 60))
	cancelled := publish("evt_cancel")
	waitFor(t, "the first attempt", 10*time.Second, func() bool { return len(r.requests("/down")) == 1 })
	time.Sleep(500 * time.Millisecond)
	if err := stack.Client.CancelWorkflow(context.Background(), wire.DeliveryWorkflowID(cancelled, down.ID), ""); err != nil {
		t.Fatal(err)
	}
	d := e.waitDeliveries(cancelled, 1)[0]
	e.mustDo(200, "POST", "/webhooks/"+down.ID+"/deactivate", nil, nil)

	// A manual redelivery of the cancelled delivery, then a replay of it.
	r.answer = func(string, int) int { return http.StatusOK }
	e.mustDo(200, "POST", "/webhooks/"+down.ID+"/activate", nil, nil)
	var rd struct {
		WorkflowID string `json:"workflow_id"`
	}
	e.mustDo(202, "POST", "/deliveries/"+d.ID+"/redeliver", nil, &rd)
	var rp struct {
		ID string `json:"id"`
	}
	waitFor(t, "the redelivery", 20*time.Second, func() bool { return len(r.requests("/down")) == 2 })
	e.mustDo(202, "POST", "/webhooks/"+down.ID+"/replay", map[string]any{"status": []string{"succeeded", "cancelled", "failed"}}, &rp)
	waitFor(t, "the replay", 20*time.Second, func() bool { return len(r.requests("/down")) == 3 })
	time.Sleep(time.Second)
	// The cancelled delivery's status record ended when the redelivery succeeded.
	if err := stack.Client.GetWorkflow(context.Background(), wire.StatusRecordWorkflowID(d.ID), "").Get(context.Background(), nil); err != nil {
		t.Fatal(err)
	}

	record := map[string]string{
		"event_three_destinations.json":        wire.EventWorkflowID(fanout),
		"delivery_first_attempt.json":          wire.DeliveryWorkflowID(fanout, ok1.ID),
		"delivery_retried_then_succeeded.json": wire.DeliveryWorkflowID(retried, flaky.ID),
		"delivery_gone.json":                   wire.DeliveryWorkflowID(goneEv, gone.ID),
		"delivery_cancelled.json":              wire.DeliveryWorkflowID(cancelled, down.ID),
		"delivery_failed.json":                 wire.DeliveryWorkflowID(failed, broken.ID),
		"status_record.json":                   wire.StatusRecordWorkflowID(d.ID),
		"redelivery.json":                      rd.WorkflowID,
		"replay.json":                          wire.ReplayWorkflowID(rp.ID),
	}
	for file, id := range record {
		it := stack.Client.GetWorkflowHistory(context.Background(), id, "", false, 0)
		h := &historypb.History{}
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			h.Events = append(h.Events, ev)
		}
		b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "workflows", "testdata", file), b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d events", file, len(h.Events))
	}
}
