package activities

import (
	"context"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/wire"
)

// replayStore is what ReplayPage needs of PostgreSQL.
type replayStore interface {
	Replay(ctx context.Context, id string) (*herald.Replay, error)
	Webhook(ctx context.Context, id string) (*herald.Webhook, error)
	ReplayPage(ctx context.Context, r *herald.Replay, after string, limit int) ([]herald.DeliveryRef, error)
}

// ReplayPage lists the next deliveries of a replay, oldest first.
func (a *Activities) ReplayPage(ctx context.Context, in wire.ReplayPageInput) ([]wire.ReplayItem, error) {
	r, err := a.Store.Replay(ctx, in.ReplayID)
	if err != nil {
		return nil, classifyStoreError(err)
	}
	w, err := a.Store.Webhook(ctx, r.WebhookID)
	if err != nil {
		return nil, classifyStoreError(err)
	}
	refs, err := a.Store.ReplayPage(ctx, r, in.After, in.Limit)
	if err != nil {
		return nil, err
	}
	items := make([]wire.ReplayItem, 0, len(refs))
	for _, d := range refs {
		items = append(items, wire.ReplayItem{DeliveryID: d.ID, EventID: d.EventID, WebhookID: w.ID, EventType: d.EventType,
			Host: hostOf(w.URL), Owner: w.Owner(), Retry: wire.RetryPolicy(w.Retry), TimeoutSeconds: w.TimeoutSeconds})
	}
	return items, nil
}
