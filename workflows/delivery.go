package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
)

// DeliveryWorkflow delivers one event to one webhook: the deliver activity under the webhook's
// retry policy, then the final status in PostgreSQL and in the HeraldDeliveryStatus attribute.
func DeliveryWorkflow(ctx workflow.Context, in DeliveryInput) (*DeliveryResult, error) {
	var a *activities.Activities
	timeout := time.Duration(in.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	deliverCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// The HTTP timeout plus room to load the target and record the attempt (both wait out a
		// PostgreSQL restart).
		StartToCloseTimeout: timeout + 30*time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    seconds(in.Retry.InitialIntervalSeconds),
			BackoffCoefficient: in.Retry.BackoffCoefficient,
			MaximumInterval:    seconds(in.Retry.MaxIntervalSeconds),
			MaximumAttempts:    int32(in.Retry.MaxAttempts),
			NonRetryableErrorTypes: []string{
				activities.ErrGone, activities.ErrWebhookInactive, activities.ErrNotFound,
			},
		},
	})
	recordCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})

	var res activities.DeliverResult
	err := workflow.ExecuteActivity(deliverCtx, a.Deliver, activities.DeliverInput{
		DeliveryID: in.DeliveryID, Retry: herald.RetryPolicy(in.Retry),
	}).Get(ctx, &res)

	status := herald.DeliverySucceeded
	switch {
	case err == nil:
		if res.Status != "" {
			status = res.Status
		}
	case temporal.IsCanceledError(err):
		status = herald.DeliveryCancelled
		recordCtx, _ = workflow.NewDisconnectedContext(recordCtx)
	default:
		status = herald.DeliveryFailed
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == activities.ErrWebhookInactive {
			status = herald.DeliveryCancelled
		}
	}
	if err != nil {
		if ferr := workflow.ExecuteActivity(recordCtx, a.FinishDelivery, activities.FinishInput{
			DeliveryID: in.DeliveryID, Status: status,
		}).Get(recordCtx, nil); ferr != nil {
			return nil, ferr
		}
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, AttrDeliveryStatus.ValueSet(status))
	if status == herald.DeliveryCancelled && temporal.IsCanceledError(err) {
		return nil, err
	}
	return &DeliveryResult{Status: status, Attempts: res.Attempt, StatusCode: res.StatusCode}, nil
}
