package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/delivery"
)

// TestEventType is the event a test send uses when none is chosen. It needs no catalog entry.
const TestEventType = "webhook.test"

// TestSendStore is what a test send reads and records.
type TestSendStore interface {
	EventType(ctx context.Context, name string) (herald.EventType, error)
	User(ctx context.Context, id string) (*herald.User, error)
	InsertEvent(ctx context.Context, ev *herald.Event, requestHash []byte) (stored *herald.Event, created bool, err error)
	CreateDeliveries(ctx context.Context, eventID string, ds []herald.NewDelivery) ([]herald.Delivery, error)
	DeliveryTarget(ctx context.Context, deliveryID string) (*herald.Target, error)
	RecordAttempt(ctx context.Context, deliveryID string, a herald.AttemptRecord) (int, error)
	FinishDelivery(ctx context.Context, deliveryID string, status herald.DeliveryStatus) error
}

// TestSender builds and sends a test send's request: the body in the webhook's format, and
// one signed attempt with trigger test over connections the URL policy checks after DNS.
type TestSender interface {
	Body(ev *herald.Event, w *herald.Webhook, user *herald.User) ([]byte, error)
	Send(ctx context.Context, t *herald.Target) delivery.Outcome
}

// TestSend is the input of a test send: the event type whose catalog example is sent
// (TestEventType's message when empty).
type TestSend struct {
	Event string
}

// TestResult is the answer of a test send.
type TestResult struct {
	DeliveryID   string `json:"delivery_id"`
	EventID      string `json:"event_id"`
	Event        string `json:"event"`
	Succeeded    bool   `json:"succeeded"`
	StatusCode   *int   `json:"status_code"`
	DurationMS   int64  `json:"duration_ms"`
	ResponseBody string `json:"response_body"`
	Error        string `json:"error"`
	ErrorKind    string `json:"error_kind"`
}

// Test sends one event to the webhook now, whatever its status, and answers with the
// outcome. The event (the chosen type's example data, or a webhook.test message) and its
// delivery are stored, so the attempt is in the log with trigger "test"; the delivery ends
// succeeded or failed at once and is never retried, and the attempt does not count toward
// auto-disable.
func (s *Webhooks) Test(ctx context.Context, ref WebhookRef, input Input[TestSend]) (*TestResult, error) {
	w, err := s.open(ctx, ref, Write)
	if err != nil {
		return nil, err
	}
	in, err := input()
	if err != nil {
		return nil, err
	}
	ev := &herald.Event{ID: herald.NewID("evt_test_"), Type: TestEventType, UserID: w.UserID,
		OrganizationID: w.OrganizationID}
	if in.Event == "" || in.Event == TestEventType {
		ev.Data, _ = json.Marshal(map[string]string{"message": "This is a test webhook from Herald", "webhook_id": w.ID})
	} else {
		et, err := s.Tests.EventType(ctx, in.Event)
		if herald.ErrorCode(err) == herald.ENotFound || err == nil && et.Archived {
			return nil, &herald.Error{Code: herald.EUnknownEvent, Message: "unknown event type",
				Details: []herald.ErrorDetail{{Field: "event", Message: "not in the event catalog: " + in.Event}}}
		}
		if err != nil {
			return nil, err
		}
		ev.Type, ev.Data = et.Name, et.Example
		if len(ev.Data) == 0 {
			ev.Data = json.RawMessage(`{}`)
		}
	}
	ev.Timestamp = s.now().UTC().Truncate(time.Millisecond)
	var user *herald.User
	if ev.UserID != "" {
		u, err := s.Tests.User(ctx, ev.UserID)
		if err != nil && herald.ErrorCode(err) != herald.ENotFound {
			return nil, err
		}
		user = u
	}
	body, err := s.Sender.Body(ev, w, user)
	if err != nil {
		return nil, &herald.Error{Code: herald.EInvalid, Message: "the event cannot be sent in this webhook's format",
			Details: []herald.ErrorDetail{{Field: "event", Message: "the flat format needs an example payload that is a JSON object"}}}
	}
	hash := sha256.Sum256([]byte(ev.ID))
	if _, _, err := s.Tests.InsertEvent(ctx, ev, hash[:]); err != nil {
		return nil, err
	}
	deliveryID := herald.NewID("dlv_")
	if _, err := s.Tests.CreateDeliveries(ctx, ev.ID, []herald.NewDelivery{
		{ID: deliveryID, EventID: ev.ID, WebhookID: w.ID, Body: body, Test: true}}); err != nil {
		return nil, err
	}
	target, err := s.Tests.DeliveryTarget(ctx, deliveryID)
	if err != nil {
		return nil, err
	}
	out := s.Sender.Send(ctx, target)

	// The request went out: record it even if the caller has gone.
	rctx := context.WithoutCancel(ctx)
	if _, err := s.Tests.RecordAttempt(rctx, deliveryID, herald.AttemptRecord{
		Attempt: out.Attempt, RequestHeaders: out.RequestHeaders, Succeeded: out.OK}); err != nil {
		return nil, err
	}
	if !out.OK {
		if err := s.Tests.FinishDelivery(rctx, deliveryID, herald.DeliveryFailed); err != nil {
			return nil, err
		}
	}
	return &TestResult{
		DeliveryID: deliveryID, EventID: ev.ID, Event: ev.Type, Succeeded: out.OK,
		StatusCode: out.Attempt.StatusCode, DurationMS: out.Attempt.DurationMS,
		ResponseBody: out.Attempt.ResponseBody, Error: out.Attempt.Error, ErrorKind: out.Attempt.ErrorKind,
	}, nil
}
