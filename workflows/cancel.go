package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/wire"
)

const (
	cancelPageSize = 200
	cancelPerRun   = 5000 // delivery workflows cancelled per run before continuing as new, to bound the history
)

// CancelDeliveriesWorkflow cancels, page by page and a few at a time, the delivery workflows
// of the deliveries one change of a webhook stopped (its deletion cancelled them, its disable
// held them). The change itself is one statement in PostgreSQL; this workflow does the slow
// part, so that neither the API request nor the attempt that disables the webhook waits for
// thousands of cancel requests. A delivery whose workflow is not cancelled yet still stops at
// its next attempt, which finds it final.
func CancelDeliveriesWorkflow(ctx workflow.Context, in wire.CancelDeliveriesInput) (*wire.CancelDeliveriesInput, error) {
	var a *activities.Activities
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             "cancel a page of delivery workflows",
		StartToCloseTimeout: 2 * time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	handled := 0
	for {
		var page wire.CancelPageResult
		if err := workflow.ExecuteActivity(actx, a.CancelDeliveryPage, wire.CancelPageInput{
			WebhookID: in.WebhookID, Status: in.Status, At: in.At, After: in.After, Limit: cancelPageSize,
		}).Get(ctx, &page); err != nil {
			return nil, err
		}
		if page.Count == 0 {
			break
		}
		in.After, in.Cancelled = page.Last, in.Cancelled+page.Count
		handled += page.Count
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("%d delivery workflows cancelled", in.Cancelled))
		if handled >= cancelPerRun {
			return nil, workflow.NewContinueAsNewError(ctx, CancelDeliveriesWorkflow, in)
		}
	}
	return &in, nil
}
