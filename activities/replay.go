package activities

import (
	"context"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/postgres"
)

// replayStore is what ReplayPage needs of PostgreSQL.
type replayStore interface {
	Replay(ctx context.Context, id string) (*postgres.Replay, error)
	Webhook(ctx context.Context, id string) (*herald.Webhook, error)
	ReplayPage(ctx context.Context, r *postgres.Replay, after string, limit int) ([]postgres.DeliveryRef, error)
}

// ReplayPageInput asks for the next page of a replay's deliveries after a cursor.
type ReplayPageInput struct {
	ReplayID string
	After    string // a delivery id; "" for the first page
	Limit    int
}

// ReplayItem is one delivery a replay redelivers, with what its redelivery workflow needs.
type ReplayItem struct {
	DeliveryID     string
	EventID        string
	WebhookID      string
	EventType      string
	Host           string
	Owner          string
	Retry          herald.RetryPolicy
	TimeoutSeconds int
}

// ReplayPage lists the next deliveries of a replay, oldest first.
func (a *Activities) ReplayPage(ctx context.Context, in ReplayPageInput) ([]ReplayItem, error) {
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
	items := make([]ReplayItem, 0, len(refs))
	for _, d := range refs {
		items = append(items, ReplayItem{DeliveryID: d.ID, EventID: d.EventID, WebhookID: w.ID, EventType: d.EventType,
			Host: hostOf(w.URL), Owner: w.Owner(), Retry: w.Retry, TimeoutSeconds: w.TimeoutSeconds})
	}
	return items, nil
}
