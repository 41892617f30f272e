package app

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/herald-webhooks/herald"
)

// DeliveryStore is what the delivery logs read.
type DeliveryStore interface {
	Delivery(ctx context.Context, id string) (*herald.Delivery, error)
	WebhookDeliveries(ctx context.Context, f herald.DeliveryFilter) ([]herald.Delivery, error)
	// WebhookOwner is the owner of a webhook, deleted or not: a deleted webhook's log stays
	// readable.
	WebhookOwner(ctx context.Context, webhookID string) (herald.Owner, error)
}

// Deliveries serves the delivery logs: one webhook's, every webhook's of one owner, and one
// delivery with its attempts.
type Deliveries struct {
	Store DeliveryStore
	Dir   Directory
	Auth  Authorizer
}

// LogQuery is a page of a delivery log: its size and filters. The filter's scope (webhook or
// owner) and Limit are set by the service.
type LogQuery struct {
	Limit  int
	Filter herald.DeliveryFilter
}

// WebhookLog is one page of a webhook's delivery log, for a caller who may read the webhook.
func (s *Deliveries) WebhookLog(ctx context.Context, webhookID string, in Input[LogQuery]) (Page[herald.Delivery], error) {
	if err := s.authorizeLog(ctx, webhookID); err != nil {
		return Page[herald.Delivery]{}, err
	}
	return s.page(ctx, in, func(f *herald.DeliveryFilter) { f.WebhookID = webhookID })
}

// OwnerLog is one page of the deliveries of every webhook of an owner, deleted webhooks
// included (their logs stay readable), with the filters of a webhook's log: the support
// question "what never arrived?" in one call. It is authorized like listing that owner's
// webhooks.
func (s *Deliveries) OwnerLog(ctx context.Context, owner herald.Owner, in Input[LogQuery]) (Page[herald.Delivery], error) {
	if err := s.Auth.Owner(ctx, owner, Read); err != nil {
		return Page[herald.Delivery]{}, err
	}
	if err := ownerExists(ctx, s.Dir, owner); err != nil {
		return Page[herald.Delivery]{}, err
	}
	return s.page(ctx, in, func(f *herald.DeliveryFilter) { f.Owner = owner })
}

func (s *Deliveries) page(ctx context.Context, in Input[LogQuery], narrow func(*herald.DeliveryFilter)) (Page[herald.Delivery], error) {
	q, err := in()
	if err != nil {
		return Page[herald.Delivery]{}, err
	}
	f := q.Filter
	narrow(&f)
	f.Limit = q.Limit + 1
	ds, err := s.Store.WebhookDeliveries(ctx, f)
	if err != nil {
		return Page[herald.Delivery]{}, err
	}
	return pageOf(ds, q.Limit, func(d herald.Delivery) string { return d.ID }), nil
}

// Delivery is one delivery with its attempts, for a caller who may read its webhook.
func (s *Deliveries) Delivery(ctx context.Context, id string) (*herald.Delivery, error) {
	d, err := s.Store.Delivery(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeLog(ctx, d.WebhookID); err != nil {
		return nil, err
	}
	return d, nil
}

// authorizeLog checks the caller may read a webhook's delivery log.
func (s *Deliveries) authorizeLog(ctx context.Context, webhookID string) error {
	owner, err := s.Store.WebhookOwner(ctx, webhookID)
	if err != nil {
		return err
	}
	return s.Auth.Owner(ctx, owner, Read)
}

// ParseLogQuery reads a delivery log's parameters: limit, status (one or a comma-separated
// list, any of which matches), event (type), since and until (RFC 3339, on the delivery's
// creation time) and cursor. A bad limit is one error; each bad filter is a field detail.
func ParseLogQuery(q url.Values) (LogQuery, error) {
	limit, err := ParseLimit(q.Get("limit"))
	if err != nil {
		return LogQuery{}, err
	}
	var d []herald.ErrorDetail
	add := func(field, msg string) { d = append(d, herald.ErrorDetail{Field: field, Message: msg}) }
	f := herald.DeliveryFilter{EventType: q.Get("event"), Before: q.Get("cursor")}
	if v := q.Get("status"); v != "" {
		for _, st := range strings.Split(v, ",") {
			switch st := herald.DeliveryStatus(strings.TrimSpace(st)); st {
			case herald.DeliveryPending, herald.DeliverySucceeded, herald.DeliveryFailed, herald.DeliveryCancelled, herald.DeliveryHeld:
				f.Statuses = append(f.Statuses, st)
			default:
				f.Statuses = nil
				add("status", "must be pending, succeeded, failed, cancelled or held, or a comma-separated list of them")
			}
			if f.Statuses == nil {
				break
			}
		}
	}
	if f.EventType != "" && !herald.ValidID(f.EventType) {
		add("event", "not an event type name")
	}
	if f.Before != "" && !herald.ValidID(f.Before) {
		add("cursor", "is not a next_cursor of this list")
	}
	for _, t := range []struct {
		field string
		dst   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := q.Get(t.field)
		if v == "" {
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			add(t.field, "must be an RFC 3339 time such as 2026-02-18T12:00:00Z")
			continue
		}
		*t.dst = ts
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		add("until", "must be after since")
	}
	if len(d) > 0 {
		return LogQuery{}, &herald.Error{Code: herald.EInvalid, Message: "invalid delivery filter", Details: d}
	}
	return LogQuery{Limit: limit, Filter: f}, nil
}
