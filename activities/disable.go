package activities

import (
	"context"

	"go.temporal.io/sdk/activity"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/wire"
)

// disableStore is what auto-disable needs of PostgreSQL.
type disableStore interface {
	DisableWebhook(ctx context.Context, webhookID, exceptDelivery, reason string) (disabled bool, held []herald.DeliveryRef, err error)
	DisableIfFailing(ctx context.Context, webhookID, exceptDelivery string) (disabled bool, held []herald.DeliveryRef, err error)
}

// disable runs a webhook-disabling store call and, when it disabled the webhook, cancels the
// workflows of the pending deliveries it held. It reports whether it disabled.
func (a *Activities) disable(ctx context.Context, t *herald.Target, f func() (bool, []herald.DeliveryRef, error)) bool {
	disabled, cancelled, err := f()
	if err != nil {
		a.Logger.Error("disable webhook", "webhook_id", t.WebhookID, "error", err)
		return false
	}
	if !disabled {
		return false
	}
	a.Logger.Warn("webhook disabled", "webhook_id", t.WebhookID, "held_deliveries", len(cancelled))
	if a.Temporal == nil {
		return true
	}
	// The cancel-deliveries workflow cancels the held deliveries' workflows: thousands of
	// cancel requests here would outlive the attempt's timeout, and its retry would send again.
	// Best effort: a delivery whose workflow is not cancelled stops at its next attempt, which
	// finds it held.
	if len(cancelled) > 0 && activity.IsActivity(ctx) {
		id, err := wire.StartCancelDeliveries(ctx, a.Temporal, activity.GetInfo(ctx).TaskQueue,
			t.WebhookID, string(herald.DeliveryHeld), cancelled[0].UpdatedAt)
		if err != nil {
			a.Logger.Warn("start cancel-deliveries workflow", "workflow_id", id, "webhook_id", t.WebhookID, "error", err)
		}
	}
	return true
}
