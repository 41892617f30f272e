package workflows

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
)

// EventWorkflow fans an event out: one delivery workflow per matching webhook.
func EventWorkflow(ctx workflow.Context, in EventInput) (*EventResult, error) {
	var a *activities.Activities
	// Resolving is a local activity: one marker in the history instead of three events and an
	// activity task round trip. It is idempotent, so a re-run after a worker crash is harmless.
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:             "resolve destinations",
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrNotFound},
		},
	})
	var res activities.ResolveResult
	if err := workflow.ExecuteLocalActivity(lctx, a.Resolve, activities.ResolveInput{EventID: in.EventID}).Get(ctx, &res); err != nil {
		return nil, err
	}

	out := &EventResult{}
	var pending []workflow.ChildWorkflowFuture
	for _, d := range res.Destinations {
		if d.Status != herald.DeliveryPending {
			continue
		}
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            DeliveryWorkflowID(in.EventID, d.WebhookID),
			TaskQueue:             workflow.GetInfo(ctx).TaskQueueName,
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			StaticSummary:         res.EventType + " → " + d.Host,
			TypedSearchAttributes: DeliveryAttributes(res.EventType, d.WebhookID, d.Owner),
		})
		f := workflow.ExecuteChildWorkflow(cctx, DeliveryWorkflow, DeliveryInput{
			DeliveryID: d.DeliveryID, EventID: in.EventID, WebhookID: d.WebhookID,
			TimeoutSeconds: d.TimeoutSeconds, Retry: RetryPolicy(d.Retry), EventType: res.EventType, Host: d.Host,
		})
		pending = append(pending, f)
		out.DeliveryIDs = append(out.DeliveryIDs, d.DeliveryID)
	}
	// Wait for each child to start (not to finish): the children are abandoned on close.
	for _, f := range pending {
		if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			var started *temporal.ChildWorkflowExecutionAlreadyStartedError
			if errors.As(err, &started) {
				continue // an earlier run of this event workflow already started it
			}
			return nil, err
		}
	}
	return out, nil
}
