package wire

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// StartCancelDeliveries starts the workflow that cancels the delivery workflows of the
// deliveries a change of the webhook at the time at stopped (they are in status). Starting it
// again for the same change is a no-op. It returns the workflow's ID. The API (a deletion) and
// the deliver activity (a disable) start it; here, beside its ID, type name and input, so that
// both start it the same way without the API importing the activities.
func StartCancelDeliveries(ctx context.Context, c client.Client, taskQueue, webhookID, status string, at time.Time) (string, error) {
	id := CancelDeliveriesWorkflowID(webhookID, at)
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: taskQueue,
		StaticSummary: "cancel the delivery workflows " + status + " by a change of " + webhookID,
	}, CancelDeliveriesWorkflow, CancelDeliveriesInput{WebhookID: webhookID, Status: status, At: at})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return id, fmt.Errorf("start %s: %w", id, err)
	}
	return id, nil
}
