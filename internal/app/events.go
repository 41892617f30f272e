package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/starter"
)

// Publisher publishes an event: validates, stores and starts it (starter.Publisher).
type Publisher interface {
	Publish(ctx context.Context, in starter.Event) (*starter.Result, error)
}

// EventStore is what reading an event needs: the event and its deliveries.
type EventStore interface {
	Event(ctx context.Context, id string) (*herald.Event, error)
	EventDeliveries(ctx context.Context, eventID string) ([]herald.Delivery, error)
}

// Events publishes and reads events; both need an admin key (events are the backend's).
type Events struct {
	Publisher Publisher
	Store     EventStore
	Auth      Authorizer
}

// Published is the answer to a publish (members in the order the API has always sent them).
type Published struct {
	Duplicate bool      `json:"duplicate"`
	Event     string    `json:"event"`
	ID        string    `json:"id"`
	Outcome   string    `json:"outcome"`
	Timestamp time.Time `json:"timestamp"`
}

// Publish publishes the input's event. An event without an id takes idempotencyKey (the
// request's Idempotency-Key) as its id, which must then follow the id rule.
func (s *Events) Publish(ctx context.Context, idempotencyKey string, in Input[herald.EventInput]) (*Published, error) {
	if err := s.Auth.Admin(ctx); err != nil {
		return nil, err
	}
	ev, err := in()
	if err != nil {
		return nil, err
	}
	if ev.ID == "" {
		ev.ID = idempotencyKey
		if ev.ID != "" && !herald.ValidID(ev.ID) {
			return nil, herald.Invalid("the event", []herald.ErrorDetail{{Field: "Idempotency-Key", Message: herald.IDRule}})
		}
	}
	res, err := s.Publisher.Publish(ctx, ev)
	if err != nil {
		return nil, err
	}
	return &Published{ID: res.Event.ID, Event: res.Event.Type, Timestamp: res.Event.Timestamp,
		Duplicate: res.Duplicate(), Outcome: res.Outcome()}, nil
}

// EventView is an event with its deliveries, as GET /events/{id} shows it.
type EventView struct {
	CreatedAt      time.Time         `json:"created_at"`
	Data           json.RawMessage   `json:"data"`
	Deliveries     []herald.Delivery `json:"deliveries"`
	Event          string            `json:"event"`
	ID             string            `json:"id"`
	OrganizationID string            `json:"organization_id"`
	Timestamp      time.Time         `json:"timestamp"`
	UserID         string            `json:"user_id"`
}

// Event reads an event and its deliveries.
func (s *Events) Event(ctx context.Context, id string) (*EventView, error) {
	if err := s.Auth.Admin(ctx); err != nil {
		return nil, err
	}
	ev, err := s.Store.Event(ctx, id)
	if err != nil {
		return nil, err
	}
	ds, err := s.Store.EventDeliveries(ctx, ev.ID)
	if err != nil {
		return nil, err
	}
	return &EventView{ID: ev.ID, Event: ev.Type, Timestamp: ev.Timestamp, UserID: ev.UserID,
		OrganizationID: ev.OrganizationID, Data: ev.Data, CreatedAt: ev.CreatedAt, Deliveries: ds}, nil
}
