package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/herald-webhooks/herald/internal/wire"
)

// TestDeleteCancelsManyPendingDeliveriesInAWorkflow deletes a webhook with 200 deliveries
// waiting for a retry: the request only marks them cancelled and starts a cancel-deliveries
// workflow, which cancels all 200 delivery workflows.
func TestDeleteCancelsManyPendingDeliveriesInAWorkflow(t *testing.T) {
	const n = 200
	e := newEnv(t)
	e.directory()
	r := newCapture(t)
	r.answer = func(string) (int, string) { return 500, "down" }
	w := e.createWebhook("/users/u_1", r.URL+"/down", []string{"*"}, map[string]any{
		"retry": map[string]any{"max_attempts": 20, "initial_interval_seconds": 3600, "backoff_coefficient": 1, "max_interval_seconds": 3600}})
	for i := range n {
		e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev(fmt.Sprintf("evt_many_%d", i)), "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}, nil)
	}
	r.waitFor(t, "/down", n) // every delivery has failed once and waits an hour for its retry

	start := time.Now()
	if got := e.do("DELETE", "/users/u_1/webhooks/"+w.ID, nil, nil); got != 204 {
		t.Fatalf("DELETE = %d", got)
	}
	t.Logf("DELETE answered in %v", time.Since(start))
	ctx := context.Background()

	t.Run("a cancel-deliveries workflow cancels them all", func(t *testing.T) {
		prefix := "cancel-deliveries/" + w.ID + "/"
		deadline := time.Now().Add(60 * time.Second)
		var id string
		for id == "" {
			page, err := stack.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Query: "WorkflowType = '" + wire.CancelDeliveriesWorkflow + "'"})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range page.Executions {
				if strings.HasPrefix(x.Execution.WorkflowId, prefix) {
					id = x.Execution.WorkflowId
				}
			}
			if id == "" && time.Now().After(deadline) {
				t.Fatalf("no workflow %s...", prefix)
			}
			time.Sleep(100 * time.Millisecond)
		}
		var out wire.CancelDeliveriesInput
		if err := stack.Client.GetWorkflow(ctx, id, "").Get(ctx, &out); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if out.Cancelled != n || out.Status != "cancelled" {
			t.Fatalf("%s: %+v", id, out)
		}
	})
	t.Run("every delivery workflow ends CANCELED and every delivery cancelled", func(t *testing.T) {
		deadline := time.Now().Add(60 * time.Second)
		for i := range n {
			wid := wire.DeliveryWorkflowID(e.ev(fmt.Sprintf("evt_many_%d", i)), w.ID)
			for {
				desc, err := stack.Client.DescribeWorkflowExecution(ctx, wid, "")
				if err == nil && desc.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("workflow %s: %v %v", wid, desc, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		var ev struct {
			Deliveries []delivery `json:"deliveries"`
		}
		for _, i := range []int{0, n / 2, n - 1} {
			e.mustDo(200, "GET", "/events/"+e.ev(fmt.Sprintf("evt_many_%d", i)), nil, &ev)
			if len(ev.Deliveries) != 1 || ev.Deliveries[0].Status != "cancelled" {
				t.Fatalf("event %d: deliveries %+v", i, ev.Deliveries)
			}
		}
	})
}
