package activities

import (
	"context"
	"net/url"

	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/delivery"
	"github.com/herald-webhooks/herald/internal/wire"
)

// resolveStore is what Resolve needs of PostgreSQL.
type resolveStore interface {
	Event(ctx context.Context, id string) (*herald.Event, error)
	MatchingWebhooksPage(ctx context.Context, ev *herald.Event, after string, limit int) ([]*herald.Webhook, error)
	User(ctx context.Context, id string) (*herald.User, error)
	CreateDeliveries(ctx context.Context, eventID string, ds []herald.NewDelivery) ([]herald.Delivery, error)
}

// Resolve finds the webhooks that receive the event (SPEC section 5), a page at a time,
// builds each delivery's body once and creates the delivery rows; a re-run of a page returns
// the same deliveries. A disabled webhook's delivery is created held (no workflow sends it) so
// that a replay recovers it.
func (a *Activities) Resolve(ctx context.Context, in wire.ResolveInput) (*wire.ResolveResult, error) {
	ev, err := a.Store.Event(ctx, in.EventID)
	if err != nil {
		return nil, classifyStoreError(err)
	}
	hooks, err := a.Store.MatchingWebhooksPage(ctx, ev, in.After, in.Limit)
	if err != nil {
		return nil, err
	}
	var user *herald.User
	if ev.UserID != "" {
		if user, err = a.Store.User(ctx, ev.UserID); err != nil && herald.ErrorCode(err) != herald.ENotFound {
			return nil, err
		}
	}
	byID := make(map[string]*herald.Webhook, len(hooks))
	news := make([]herald.NewDelivery, 0, len(hooks))
	for _, w := range hooks {
		body, err := delivery.Body(ev, w, user)
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError("build body", "bad_event", err)
		}
		byID[w.ID] = w
		news = append(news, herald.NewDelivery{ID: herald.NewID("dlv_"), EventID: ev.ID, WebhookID: w.ID, Body: body,
			Held: w.Status == herald.WebhookDisabled})
	}
	ds, err := a.Store.CreateDeliveries(ctx, ev.ID, news)
	if err != nil {
		return nil, err
	}
	res := &wire.ResolveResult{EventType: ev.Type}
	if in.Limit > 0 && len(hooks) == in.Limit {
		res.Next = hooks[len(hooks)-1].ID
	}
	for _, d := range ds {
		w, ok := byID[d.WebhookID]
		if !ok { // a delivery of an earlier run whose webhook no longer matches: it has its own workflow
			continue
		}
		res.Destinations = append(res.Destinations, wire.Destination{
			DeliveryID: d.ID, WebhookID: w.ID, Host: hostOf(w.URL), Owner: w.Owner(), Status: string(d.Status),
			Retry: wire.RetryPolicy(w.Retry), TimeoutSeconds: w.TimeoutSeconds,
		})
	}
	return res, nil
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
