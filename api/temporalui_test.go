package api_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald/internal/wire"
	"github.com/herald-webhooks/herald/workflows"
)

// TestTheTemporalUIShowsFailuresAsFailures is an operator scanning the Temporal UI: a delivery
// that failed (500 three times; 410) is a FAILED workflow with a non-retryable error naming the
// last status code and the kind of error; a cancelled one is CANCELED; and the documented filter
// `HeraldDeliveryStatus = "failed"` lists exactly the deliveries that are failed now: one that a
// redelivery fixed leaves the list, one whose redelivery failed again stays.
func TestTheTemporalUIShowsFailuresAsFailures(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	var fixed atomic.Bool
	r.answer = func(path string, n int) int {
		switch {
		case path == "/gone":
			return http.StatusGone
		case path == "/fixable" && fixed.Load():
			return http.StatusOK
		}
		return http.StatusInternalServerError
	}
	hook := func(path string, retry map[string]any) webhook {
		return e.createWebhook("/users/u_2", r.URL+path, []string{"summary.completed"}, map[string]any{"retry": retry})
	}
	down, gone, fixable := hook("/down", retryWith(3, 0.1, 1, 0.1)), hook("/gone", retryWith(3, 0.1, 1, 0.1)), hook("/fixable", retryWith(3, 0.1, 1, 0.1))
	evt := e.ev("evt_ui_failures")
	e.mustDo(202, "POST", "/events", map[string]any{"id": evt, "event": "summary.completed", "user_id": "u_2",
		"data": map[string]any{"n": 1}}, nil)
	byWebhook := map[string]delivery{}
	for _, d := range e.waitDeliveries(evt, 3) {
		if d.Status != "failed" {
			t.Fatalf("delivery %+v, want failed", d)
		}
		byWebhook[d.WebhookID] = d
	}
	ctx := context.Background()

	t.Run("a failed delivery's workflow fails with a typed, non-retryable error naming the last status", func(t *testing.T) {
		for _, c := range []struct {
			webhook webhook
			says    string
		}{
			{down, "after 3 attempt(s): last status 500 (http_status)"},
			{gone, "after 1 attempt(s): last status 410 (gone)"},
		} {
			id := wire.DeliveryWorkflowID(evt, c.webhook.ID)
			err := stack.Client.GetWorkflow(ctx, id, "").Get(ctx, nil)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrDeliveryFailed || !appErr.NonRetryable() ||
				!strings.Contains(appErr.Error(), c.says) {
				t.Fatalf("%s ended with %v, want a non-retryable %s error saying %q", id, err, workflows.ErrDeliveryFailed, c.says)
			}
			var state workflows.DeliveryState
			if err := appErr.Details(&state); err != nil || state.Status != "failed" || state.LastStatusCode == 0 {
				t.Fatalf("%s: error details %+v (%v)", id, state, err)
			}
		}
		failedWorkflows := listWorkflows(t, `HeraldWebhookId IN ("`+down.ID+`", "`+gone.ID+`", "`+fixable.ID+`") AND ExecutionStatus = "Failed"`, 3)
		want := []string{wire.DeliveryWorkflowID(evt, down.ID), wire.DeliveryWorkflowID(evt, gone.ID), wire.DeliveryWorkflowID(evt, fixable.ID)}
		if !sameSet(failedWorkflows, want) {
			t.Fatalf("ExecutionStatus = Failed lists %v, want %v", failedWorkflows, want)
		}
	})

	currentlyFailed := `HeraldWebhookId IN ("` + down.ID + `", "` + gone.ID + `", "` + fixable.ID + `") AND HeraldDeliveryStatus = "failed"`
	t.Run("HeraldDeliveryStatus = failed lists the failed deliveries", func(t *testing.T) {
		got := listWorkflows(t, currentlyFailed, 3)
		want := []string{wire.StatusRecordWorkflowID(byWebhook[down.ID].ID), wire.StatusRecordWorkflowID(byWebhook[gone.ID].ID),
			wire.StatusRecordWorkflowID(byWebhook[fixable.ID].ID)}
		if !sameSet(got, want) {
			t.Fatalf("%s lists %v, want %v", currentlyFailed, got, want)
		}
	})

	t.Run("a delivery fixed by a redelivery leaves the list; one whose redelivery failed stays", func(t *testing.T) {
		fixed.Store(true)
		redeliver := func(d delivery) error {
			var rd struct {
				WorkflowID string `json:"workflow_id"`
			}
			e.mustDo(202, "POST", "/deliveries/"+d.ID+"/redeliver", nil, &rd)
			return stack.Client.GetWorkflow(ctx, rd.WorkflowID, "").Get(ctx, nil)
		}
		if err := redeliver(byWebhook[fixable.ID]); err != nil {
			t.Fatalf("the redelivery to the fixed endpoint: %v", err)
		}
		var appErr *temporal.ApplicationError
		if err := redeliver(byWebhook[down.ID]); !errors.As(err, &appErr) || appErr.Type() != workflows.ErrDeliveryFailed {
			t.Fatalf("the redelivery to the endpoint still down ended with %v, want a %s failure", err, workflows.ErrDeliveryFailed)
		}
		want := []string{wire.StatusRecordWorkflowID(byWebhook[down.ID].ID), wire.StatusRecordWorkflowID(byWebhook[gone.ID].ID)}
		var got []string
		waitFor(t, "the fixed delivery to leave the failed list", 20*time.Second, func() bool {
			got = listWorkflows(t, currentlyFailed, 0)
			return sameSet(got, want)
		})
		succeeded := listWorkflows(t, `HeraldWebhookId = "`+fixable.ID+`" AND HeraldDeliveryStatus = "succeeded"`, 1)
		if !sameSet(succeeded, []string{wire.StatusRecordWorkflowID(byWebhook[fixable.ID].ID)}) {
			t.Fatalf("the fixed delivery's record: %v", succeeded)
		}
	})

	t.Run("a cancelled delivery's workflow is cancelled and listed as cancelled", func(t *testing.T) {
		slow := hook("/slow", retryWith(5, 60, 1, 60))
		cevt := e.ev("evt_ui_cancel")
		e.mustDo(202, "POST", "/events", map[string]any{"id": cevt, "event": "summary.completed", "user_id": "u_2",
			"data": map[string]any{"n": 2}}, nil)
		waitFor(t, "the first attempt", 20*time.Second, func() bool { return len(r.requests("/slow")) == 1 })
		var ev struct {
			Deliveries []delivery `json:"deliveries"`
		}
		e.mustDo(200, "GET", "/events/"+cevt, nil, &ev)
		var d delivery
		for _, x := range ev.Deliveries {
			if x.WebhookID == slow.ID {
				d = x
			}
		}
		e.mustDo(200, "POST", "/deliveries/"+d.ID+"/cancel", nil, nil)
		id := wire.DeliveryWorkflowID(cevt, slow.ID)
		if err := stack.Client.GetWorkflow(ctx, id, "").Get(ctx, nil); !temporal.IsCanceledError(err) {
			t.Fatalf("%s ended with %v, want cancelled", id, err)
		}
		desc, err := stack.Client.DescribeWorkflowExecution(ctx, id, "")
		if err != nil || desc.GetWorkflowExecutionInfo().GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_CANCELED {
			t.Fatalf("%s: %v %v, want CANCELED", id, desc.GetWorkflowExecutionInfo().GetStatus(), err)
		}
		got := listWorkflows(t, `HeraldWebhookId = "`+slow.ID+`" AND HeraldDeliveryStatus = "cancelled"`, 1)
		if !sameSet(got, []string{wire.StatusRecordWorkflowID(d.ID)}) {
			t.Fatalf("cancelled deliveries of %s: %v", slow.ID, got)
		}
	})
}

// listWorkflows runs a Temporal UI list filter, waiting up to 20 s for at least n results
// (visibility trails the workflows a little).
func listWorkflows(t *testing.T, query string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := stack.Client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		var ids []string
		for _, x := range resp.GetExecutions() {
			ids = append(ids, x.GetExecution().GetWorkflowId())
		}
		if len(ids) >= n || time.Now().After(deadline) {
			return ids
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
