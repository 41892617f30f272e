// Package starter is what a Go backend imports to publish events to Herald: it validates the
// event, stores it once in PostgreSQL and starts its event workflow in Temporal. The REST API's
// POST /events uses it too, so both paths share one set of rules.
//
// Publishing is idempotent on the event id: the same id with the same content returns the first
// event and starts nothing new; with different content it is a conflict. A publish that stored
// the event but could not reach Temporal fails, and publishing it again completes it.
package starter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/postgres"
	"github.com/herald-webhooks/herald/workflows"
)

// Publisher publishes events.
type Publisher struct {
	Store    *postgres.Store
	Temporal client.Client
	// TaskQueue of the event workflows; workflows.TaskQueue when empty. Delivery workflows run
	// on their event workflow's queue.
	TaskQueue string
}

// Event is what a backend publishes. ID and Timestamp are generated when empty.
type Event struct {
	ID             string          `json:"id,omitempty"`
	Type           string          `json:"event"`
	Timestamp      *time.Time      `json:"timestamp,omitempty"`
	UserID         string          `json:"user_id,omitempty"`
	OrganizationID string          `json:"organization_id,omitempty"`
	Data           json.RawMessage `json:"data"`
}

// Result is the answer to a publish.
type Result struct {
	Event   *herald.Event
	Created bool // false when this id had been published before with the same content
}

// maxIDLength bounds event ids (they are part of workflow IDs).
const maxIDLength = 200

// Publish validates, stores and starts the event. Errors are *herald.Error for bad input.
func (p *Publisher) Publish(ctx context.Context, in Event) (*Result, error) {
	if err := p.validate(ctx, &in); err != nil {
		return nil, err
	}
	hash := requestHash(in)
	ev := &herald.Event{
		ID: in.ID, Type: in.Type, UserID: in.UserID, OrganizationID: in.OrganizationID, Data: in.Data,
		Timestamp: time.Now().UTC().Truncate(time.Millisecond),
	}
	if ev.ID == "" {
		ev.ID = herald.NewID("evt_")
	}
	if in.Timestamp != nil {
		ev.Timestamp = in.Timestamp.UTC()
	}
	stored, created, err := p.Store.InsertEvent(ctx, ev, hash)
	if err != nil {
		return nil, err
	}
	if err := p.start(ctx, stored); err != nil {
		return nil, err
	}
	return &Result{Event: stored, Created: created}, nil
}

// start starts the event workflow unless it runs or ran already.
func (p *Publisher) start(ctx context.Context, ev *herald.Event) error {
	owner := "user:" + ev.UserID
	if ev.OrganizationID != "" {
		owner = "org:" + ev.OrganizationID
	}
	queue := p.TaskQueue
	if queue == "" {
		queue = workflows.TaskQueue
	}
	_, err := p.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.EventWorkflowID(ev.ID),
		TaskQueue:                queue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            ev.Type,
		// With a worker in this process (herald dev, bench), the first workflow task comes back
		// in the start call's answer instead of through a poll: lower publish-to-receive latency.
		EnableEagerStart: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.AttrEventType.ValueSet(ev.Type),
			workflows.AttrOwnerID.ValueSet(owner),
		),
	}, workflows.EventWorkflow, workflows.EventInput{EventID: ev.ID})
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &already) {
		return &herald.Error{Code: herald.EUnavailable, Message: "the event is stored but its workflow could not start; publish it again"}
	}
	return nil
}

func (p *Publisher) validate(ctx context.Context, in *Event) error {
	var details []herald.ErrorDetail
	add := func(field, msg string) { details = append(details, herald.ErrorDetail{Field: field, Message: msg}) }
	if len(in.ID) > maxIDLength {
		add("id", fmt.Sprintf("must be at most %d characters", maxIDLength))
	} else if strings.ContainsAny(in.ID, "/ \t\r\n") {
		add("id", "must not contain '/' or whitespace")
	}
	if in.Type == "" {
		add("event", "is required")
	}
	if in.UserID == "" && in.OrganizationID == "" {
		add("user_id", "user_id or organization_id is required")
	}
	trimmed := bytes.TrimSpace(in.Data)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		add("data", "must be a JSON object")
	}
	if len(details) > 0 {
		return &herald.Error{Code: herald.EInvalid, Message: "the event is not valid", Details: details}
	}
	in.Data = trimmed
	et, err := p.Store.EventType(ctx, in.Type)
	if herald.ErrorCode(err) == herald.ENotFound || (err == nil && et.Archived) {
		return &herald.Error{Code: herald.EUnknownEvent, Message: fmt.Sprintf("event type %q is not in the catalog", in.Type),
			Details: []herald.ErrorDetail{{Field: "event", Message: "unknown event type"}}}
	}
	if err != nil {
		return err
	}
	for _, check := range []struct{ field, id string }{{"user_id", in.UserID}, {"organization_id", in.OrganizationID}} {
		if check.id == "" {
			continue
		}
		exists := p.Store.UserExists
		if check.field == "organization_id" {
			exists = p.Store.OrganizationExists
		}
		ok, err := exists(ctx, check.id)
		if err != nil {
			return err
		}
		if !ok {
			return &herald.Error{Code: herald.EInvalid, Message: check.field + " is not in the directory",
				Details: []herald.ErrorDetail{{Field: check.field, Message: "unknown; PUT it first"}}}
		}
	}
	return nil
}

// requestHash identifies the publisher's content for the idempotency check.
func requestHash(in Event) []byte {
	h := sha256.New()
	ts := ""
	if in.Timestamp != nil {
		ts = in.Timestamp.UTC().Format(time.RFC3339Nano)
	}
	for _, part := range []string{in.Type, ts, in.UserID, in.OrganizationID} {
		fmt.Fprintf(h, "%d:%s|", len(part), part)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, in.Data); err != nil {
		compact.Write(in.Data)
	}
	h.Write(compact.Bytes())
	return h.Sum(nil)
}
