package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/herald-webhooks/herald/workflows"
)

// TestReplayRecordedHistories replays histories recorded from real runs by TestRecordHistories
// in the api package (an event fanned out to three webhooks; a first-attempt delivery; one
// retried then succeeded; one answered 410; one cancelled while waiting for a retry; a manual
// redelivery; a replay; a delivery failed after its retries; a delivery's status record).
// Delivery workflows run for up to a day, so a deploy meets histories written by the previous
// code: a change that alters the commands these workflows issue fails here. Record new files
// when a change is deliberate and keep the old ones (v0.2_*: delivery workflows that set
// HeraldDeliveryStatus from their start, before 0.3; v0.3_*: delivery workflows that set it
// themselves at their end and completed even when the delivery failed, before the status record).
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 19 {
		t.Fatalf("recorded histories: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.EventWorkflow)
			r.RegisterWorkflow(workflows.DeliveryWorkflow)
			r.RegisterWorkflow(workflows.ReplayWorkflow)
			r.RegisterWorkflow(workflows.StatusRecordWorkflow)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
