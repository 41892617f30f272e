package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
)

// TestEventType is the event a test send uses when none is chosen. It needs no catalog entry.
const TestEventType = "webhook.test"

// testSender is what test sends go through: the deliver activity's request code with an HTTP
// client whose connections the URL policy checks after DNS.
func (s *Server) testSender() *activities.Activities {
	s.senderOnce.Do(func() {
		s.sender = &activities.Activities{Store: s.Store, Logger: s.Logger, UserAgent: s.UserAgent,
			HTTP: activities.NewGuardedHTTPClient(s.URLPolicy.Control, nil)}
	})
	return s.sender
}

// testResult is the answer of a test send.
type testResult struct {
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

// testWebhook sends one event to the webhook now, whatever its status, and answers with the
// outcome. The event (the chosen type's example data, or a webhook.test message) and its
// delivery are stored, so the attempt is in the log with trigger "test"; the delivery ends
// succeeded or failed at once and is never retried, and the attempt does not count toward
// auto-disable.
func (s *Server) testWebhook(c *gin.Context, w *herald.Webhook) {
	var in struct {
		Event string `json:"event"`
	}
	if err := decodeOptionalJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	ev := &herald.Event{ID: herald.NewID("evt_test_"), Type: TestEventType, UserID: w.UserID,
		OrganizationID: w.OrganizationID}
	if in.Event == "" || in.Event == TestEventType {
		ev.Data, _ = json.Marshal(map[string]string{"message": "This is a test webhook from Herald", "webhook_id": w.ID})
	} else {
		et, err := s.Store.EventType(ctx, in.Event)
		if herald.ErrorCode(err) == herald.ENotFound || err == nil && et.Archived {
			s.writeError(c, &herald.Error{Code: herald.EUnknownEvent, Message: "unknown event type",
				Details: []herald.ErrorDetail{{Field: "event", Message: "not in the event catalog: " + in.Event}}})
			return
		}
		if err != nil {
			s.writeError(c, err)
			return
		}
		ev.Type, ev.Data = et.Name, et.Example
		if len(ev.Data) == 0 {
			ev.Data = json.RawMessage(`{}`)
		}
	}
	ev.Timestamp = time.Now().UTC().Truncate(time.Millisecond)
	var user *herald.User
	if ev.UserID != "" {
		u, err := s.Store.User(ctx, ev.UserID)
		if err != nil && herald.ErrorCode(err) != herald.ENotFound {
			s.writeError(c, err)
			return
		}
		user = u
	}
	body, err := activities.Body(ev, w, user)
	if err != nil {
		s.writeError(c, &herald.Error{Code: herald.EInvalid, Message: "the event cannot be sent in this webhook's format",
			Details: []herald.ErrorDetail{{Field: "event", Message: "the flat format needs an example payload that is a JSON object"}}})
		return
	}
	hash := sha256.Sum256([]byte(ev.ID))
	if _, _, err := s.Store.InsertEvent(ctx, ev, hash[:]); err != nil {
		s.writeError(c, err)
		return
	}
	deliveryID := herald.NewID("dlv_")
	if _, err := s.Store.CreateDeliveries(ctx, ev.ID, []herald.NewDelivery{
		{ID: deliveryID, EventID: ev.ID, WebhookID: w.ID, Body: body, Test: true}}); err != nil {
		s.writeError(c, err)
		return
	}
	target, err := s.Store.DeliveryTarget(ctx, deliveryID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := activities.Send(ctx, s.testSender(), target, herald.TriggerTest)

	// The request went out: record it even if the caller has gone.
	rctx := context.WithoutCancel(ctx)
	if _, err := s.Store.RecordAttempt(rctx, deliveryID, herald.AttemptRecord{
		Attempt: out.Attempt, RequestHeaders: out.RequestHeaders, Succeeded: out.OK}); err != nil {
		s.writeError(c, err)
		return
	}
	if !out.OK {
		if err := s.Store.FinishDelivery(rctx, deliveryID, herald.DeliveryFailed); err != nil {
			s.writeError(c, err)
			return
		}
	}
	c.PureJSON(http.StatusOK, testResult{
		DeliveryID: deliveryID, EventID: ev.ID, Event: ev.Type, Succeeded: out.OK,
		StatusCode: out.Attempt.StatusCode, DurationMS: out.Attempt.DurationMS,
		ResponseBody: out.Attempt.ResponseBody, Error: out.Attempt.Error, ErrorKind: out.Attempt.ErrorKind,
	})
}
