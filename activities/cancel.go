package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/wire"
)

// cancelStore is what CancelDeliveryPage needs of PostgreSQL.
type cancelStore interface {
	StoppedDeliveries(ctx context.Context, webhookID string, status herald.DeliveryStatus, at time.Time, after string, limit int) ([]herald.DeliveryRef, error)
}

// cancelConcurrency bounds the cancel requests in flight.
const cancelConcurrency = 8

// CancelDeliveryPage asks Temporal to cancel the workflows of one page of a webhook's stopped
// deliveries, at most cancelConcurrency at a time, heartbeating as it goes. A workflow already
// closed or unknown is fine; any other failure fails the page, which the workflow retries (a
// second cancel request of a workflow is harmless).
func (a *Activities) CancelDeliveryPage(ctx context.Context, in wire.CancelPageInput) (*wire.CancelPageResult, error) {
	refs, err := a.Store.StoppedDeliveries(ctx, in.WebhookID, herald.DeliveryStatus(in.Status), in.At, in.After, in.Limit)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return &wire.CancelPageResult{}, nil
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
	return &wire.CancelPageResult{Count: len(refs), Last: refs[len(refs)-1].ID}, nil
}

// cancelDelivery asks Temporal to cancel one automatic delivery workflow; nil when it is
// already closed or unknown.
func (a *Activities) cancelDelivery(ctx context.Context, eventID, webhookID string) error {
	id := wire.DeliveryWorkflowID(eventID, webhookID)
	err := a.Temporal.CancelWorkflow(ctx, id, "")
	var nf *serviceerror.NotFound
	if err == nil || errors.As(err, &nf) {
		return nil
	}
	return fmt.Errorf("cancel %s: %w", id, err)
}
