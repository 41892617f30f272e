package app

import (
	"context"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/starter"
)

// memPublisher accepts every event, recording what it was given.
type memPublisher struct{ published []starter.Event }

func (m *memPublisher) Publish(_ context.Context, in starter.Event) (*starter.Result, error) {
	m.published = append(m.published, in)
	return &starter.Result{Event: &herald.Event{ID: in.ID, Type: in.Type, Timestamp: time.Unix(0, 0)}, Created: true}, nil
}

func TestEventsAreTheBackendsAlone(t *testing.T) {
	pub := &memPublisher{}
	s := &Events{Publisher: pub}
	decoded := false
	in := func() (herald.EventInput, error) { decoded = true; return herald.EventInput{Type: "a.b"}, nil }
	for _, ctx := range []context.Context{as(alice), as(owner), context.Background()} {
		_, pubErr := s.Publish(ctx, "key_1", in)
		_, getErr := s.Event(ctx, "evt_1")
		for _, err := range []error{pubErr, getErr} {
			if code := herald.ErrorCode(err); code != herald.EForbidden {
				t.Errorf("code %q, want %q", code, herald.EForbidden)
			}
		}
	}
	if decoded || len(pub.published) > 0 {
		t.Fatalf("decoded %v, published %v", decoded, pub.published)
	}
}

func TestAnEventWithoutAnIDTakesTheIdempotencyKey(t *testing.T) {
	for _, tc := range []struct {
		name, id, key, want, code string
	}{
		{"the key is the id", "", "order-42", "order-42", ""},
		{"the body's id wins over the key", "evt_1", "order-42", "evt_1", ""},
		{"neither leaves the id to the publisher", "", "", "", ""},
		{"a key that breaks the id rule is refused, naming the header", "", "order 42", "", herald.EInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pub := &memPublisher{}
			s := &Events{Publisher: pub}
			res, err := s.Publish(as(admin), tc.key, Given(herald.EventInput{ID: tc.id, Type: "a.b", UserID: "usr_alice"}))
			if tc.code != "" {
				herr, _ := err.(*herald.Error)
				if herr == nil || herr.Code != tc.code || len(herr.Details) != 1 || herr.Details[0].Field != "Idempotency-Key" ||
					len(pub.published) > 0 {
					t.Fatalf("error %+v, published %v", err, pub.published)
				}
				return
			}
			if err != nil || len(pub.published) != 1 || pub.published[0].ID != tc.want || res.ID != tc.want ||
				res.Outcome != starter.OutcomeCreated || res.Duplicate {
				t.Fatalf("answer %+v, error %v, published %+v", res, err, pub.published)
			}
		})
	}
}
