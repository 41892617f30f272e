package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/herald-webhooks/herald/internal/postgres"
)

// CancelDeliveriesWorkflowName is the registered name of workflows.CancelDeliveriesWorkflow
// (named here because this package cannot import workflows).
const CancelDeliveriesWorkflowName = "CancelDeliveriesWorkflow"

// CancelDeliveriesInput starts (or continues as new) a cancel-deliveries workflow: it cancels
// the workflows of the webhook's deliveries that one change (a deletion: status cancelled; a
// disable: status held) stopped, found by the time that change wrote on their rows.
type CancelDeliveriesInput struct {
	WebhookID string
	Status    string    // the status the change gave the deliveries: cancelled or held
	At        time.Time // the stopping statement's time (the rows' updated_at)
	After     string    // cursor: the last delivery an earlier run handled
	Cancelled int       // delivery workflows asked to cancel so far
}

// CancelDeliveriesWorkflowID is the ID of the workflow that cancels what one change stopped,
// cancel-deliveries/<webhook id>/<change time in µs>: deterministic, so that starting it twice
// for one change starts it once.
func CancelDeliveriesWorkflowID(webhookID string, at time.Time) string {
	return fmt.Sprintf("cancel-deliveries/%s/%d", webhookID, at.UnixMicro())
}

// CancelPageInput names one page of stopped deliveries to cancel.
type CancelPageInput struct {
	WebhookID string
	Status    string
	At        time.Time
	After     string
	Limit     int
}

// CancelPageResult is what one page did: how many workflows it asked to cancel and the cursor.
type CancelPageResult struct {
	Count int
	Last  string
}

// cancelStore is what CancelDeliveryPage needs of PostgreSQL.
type cancelStore interface {
	StoppedDeliveries(ctx context.Context, webhookID, status string, at time.Time, after string, limit int) ([]postgres.DeliveryRef, error)
}

// cancelConcurrency bounds the cancel requests in flight.
const cancelConcurrency = 8

// CancelDeliveryPage asks Temporal to cancel the workflows of one page of a webhook's stopped
// deliveries, at most cancelConcurrency at a time, heartbeating as it goes. A workflow already
// closed or unknown is fine; any other failure fails the page, which the workflow retries (a
// second cancel request of a workflow is harmless).
func (a *Activities) CancelDeliveryPage(ctx context.Context, in CancelPageInput) (*CancelPageResult, error) {
	refs, err := a.Store.StoppedDeliveries(ctx, in.WebhookID, in.Status, in.At, in.After, in.Limit)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return &CancelPageResult{}, nil
	}
	sem := make(chan struct{}, cancelConcurrency)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs error
	)
	for i, d := range refs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := a.cancelDelivery(ctx, d.EventID, in.WebhookID); err != nil {
				mu.Lock()
				errs = errors.Join(errs, err)
				mu.Unlock()
			}
		}()
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, i)
		}
	}
	wg.Wait()
	if errs != nil {
		return nil, fmt.Errorf("cancel delivery workflows: %w", errs)
	}
	return &CancelPageResult{Count: len(refs), Last: refs[len(refs)-1].ID}, nil
}

// cancelDelivery asks Temporal to cancel one automatic delivery workflow; nil when it is
// already closed or unknown.
func (a *Activities) cancelDelivery(ctx context.Context, eventID, webhookID string) error {
	id := DeliveryWorkflowID(eventID, webhookID)
	err := a.Temporal.CancelWorkflow(ctx, id, "")
	var nf *serviceerror.NotFound
	if err == nil || errors.As(err, &nf) {
		return nil
	}
	return fmt.Errorf("cancel %s: %w", id, err)
}

// StartCancelDeliveries starts the workflow that cancels the delivery workflows of the
// deliveries a change of the webhook at the time at stopped (they are in status). Starting it
// again for the same change is a no-op. It returns the workflow's ID.
func StartCancelDeliveries(ctx context.Context, c client.Client, taskQueue, webhookID, status string, at time.Time) (string, error) {
	id := CancelDeliveriesWorkflowID(webhookID, at)
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: taskQueue,
		StaticSummary: "cancel the delivery workflows " + status + " by a change of " + webhookID,
	}, CancelDeliveriesWorkflowName, CancelDeliveriesInput{WebhookID: webhookID, Status: status, At: at})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return id, fmt.Errorf("start %s: %w", id, err)
	}
	return id, nil
}
