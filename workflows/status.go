package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/wire"
)

// StatusRecordWorkflow carries a delivery's current status in HeraldDeliveryStatus for as long
// as the delivery is not delivered, so that `HeraldDeliveryStatus = "failed"` lists exactly
// the deliveries that are failed now. A closed workflow's search attributes cannot change: a
// failed delivery workflow stays failed in the list after a redelivery fixed its delivery, so
// the status lives here instead, in one open workflow per delivery, started by the first
// delivery workflow that ends without success and signalled by every later one. On each signal
// it reads the status from PostgreSQL (the record of truth, whatever order the signals came
// in); once the delivery succeeded it says so and ends.
func StatusRecordWorkflow(ctx workflow.Context, in wire.StatusRecordInput) error {
	var a *activities.Activities
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:             "read delivery status",
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrNotFound}},
	})
	changed := workflow.GetSignalChannel(ctx, wire.SignalStatusChanged)
	current, _ := workflow.GetTypedSearchAttributes(ctx).GetKeyword(wire.AttrDeliveryStatus)
	for {
		for changed.ReceiveAsync(nil) {
		}
		var status string
		if err := workflow.ExecuteLocalActivity(lctx, a.DeliveryStatus, in.DeliveryID).Get(ctx, &status); err != nil {
			return err
		}
		if status != current {
			if err := workflow.UpsertTypedSearchAttributes(ctx, wire.AttrDeliveryStatus.ValueSet(status)); err != nil {
				return err
			}
			current = status
		}
		if status == string(herald.DeliverySucceeded) {
			return nil
		}
		changed.Receive(ctx, nil)
	}
}
