package app

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/delivery"
)

// memTests is the store of test sends: the catalog's order.created, recording what is stored.
type memTests struct {
	events  []*herald.Event
	changes []string
}

func (m *memTests) EventType(_ context.Context, name string) (herald.EventType, error) {
	switch name {
	case "order.created":
		return herald.EventType{Name: name, Example: json.RawMessage(`{"id":1}`)}, nil
	case "order.old":
		return herald.EventType{Name: name, Archived: true}, nil
	}
	return herald.EventType{}, herald.Errorf(herald.ENotFound, "event type not found")
}

func (m *memTests) User(context.Context, string) (*herald.User, error) {
	return nil, herald.Errorf(herald.ENotFound, "user not found")
}

func (m *memTests) InsertEvent(_ context.Context, ev *herald.Event, _ []byte) (*herald.Event, bool, error) {
	m.events = append(m.events, ev)
	m.changes = append(m.changes, "event "+ev.Type)
	return ev, true, nil
}

func (m *memTests) CreateDeliveries(_ context.Context, _ string, ds []herald.NewDelivery) ([]herald.Delivery, error) {
	if !ds[0].Test {
		return nil, errors.New("a test send's delivery must be marked test")
	}
	m.changes = append(m.changes, "delivery")
	return nil, nil
}

func (m *memTests) DeliveryTarget(_ context.Context, id string) (*herald.Target, error) {
	return &herald.Target{DeliveryID: id}, nil
}

func (m *memTests) RecordAttempt(_ context.Context, _ string, a herald.AttemptRecord) (int, error) {
	if a.Succeeded {
		m.changes = append(m.changes, "attempt ok")
	} else {
		m.changes = append(m.changes, "attempt failed")
	}
	return 1, nil
}

func (m *memTests) FinishDelivery(_ context.Context, _ string, status herald.DeliveryStatus) error {
	m.changes = append(m.changes, "finish "+string(status))
	return nil
}

// memSender answers every send with ok.
type memSender struct {
	ok    bool
	sends int
}

func (s *memSender) Body(ev *herald.Event, _ *herald.Webhook, _ *herald.User) ([]byte, error) {
	return json.Marshal(ev.Data)
}

func (s *memSender) Send(context.Context, *herald.Target) delivery.Outcome {
	s.sends++
	code := 500
	if s.ok {
		code = 200
	}
	return delivery.Outcome{OK: s.ok, Attempt: herald.Attempt{StatusCode: &code}}
}

func newTests(ok bool) (*Webhooks, *memTests, *memSender) {
	s, _, _ := newWebhooks()
	tests, sender := &memTests{}, &memSender{ok: ok}
	s.Tests, s.Sender = tests, sender
	return s, tests, sender
}

func TestWebhooksTest(t *testing.T) {
	t.Run("a test send of the default event is stored, sent and recorded", func(t *testing.T) {
		s, tests, sender := newTests(true)
		out, err := s.Test(as(alice), WebhookRef{ID: "wh_alice"}, Given(TestSend{}))
		if err != nil || !out.Succeeded || out.Event != TestEventType || *out.StatusCode != 200 || sender.sends != 1 {
			t.Fatalf("Test = %+v, %v", out, err)
		}
		if !slices.Equal(tests.changes, []string{"event webhook.test", "delivery", "attempt ok"}) {
			t.Fatalf("changes %v", tests.changes)
		}
	})
	t.Run("a failed test send ends its delivery failed", func(t *testing.T) {
		s, tests, _ := newTests(false)
		out, err := s.Test(as(owner), WebhookRef{ID: "wh_org"}, Given(TestSend{Event: "order.created"}))
		if err != nil || out.Succeeded || out.Event != "order.created" {
			t.Fatalf("Test = %+v, %v", out, err)
		}
		if !slices.Equal(tests.changes, []string{"event order.created", "delivery", "attempt failed", "finish failed"}) {
			t.Fatalf("changes %v", tests.changes)
		}
	})
	for _, name := range []string{"order.old", "order.none"} {
		t.Run("an event type not in the catalog is refused: "+name, func(t *testing.T) {
			s, tests, sender := newTests(true)
			if _, err := s.Test(as(alice), WebhookRef{ID: "wh_alice"}, Given(TestSend{Event: name})); code(err) != herald.EUnknownEvent {
				t.Fatalf("Test = %v, want unknown_event", err)
			}
			if len(tests.changes) != 0 || sender.sends != 0 {
				t.Fatalf("a refused test send stored %v and sent %d", tests.changes, sender.sends)
			}
		})
	}
	t.Run("a member may not test, and nothing is decoded or sent", func(t *testing.T) {
		s, tests, sender := newTests(true)
		_, err := s.Test(as(member), WebhookRef{ID: "wh_org"}, func() (TestSend, error) {
			t.Error("decoded for a refused caller")
			return TestSend{}, nil
		})
		if code(err) != herald.EForbidden || len(tests.changes) != 0 || sender.sends != 0 {
			t.Fatalf("Test = %v; stored %v, sent %d", err, tests.changes, sender.sends)
		}
	})
}
