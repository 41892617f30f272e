// Package starter is what a Go backend imports to publish events to Herald: it validates the
// event, stores it once in PostgreSQL and starts its event workflow in Temporal. The REST API's
// POST /events uses it too, so both paths share one set of rules.
//
// Publishing is idempotent on the event id: the same id with the same content returns the first
// event and starts nothing new; with different content it is a conflict. A publish that stored
// the event but could not reach Temporal fails, and publishing it again completes it: that
// publish starts the event workflow and says so (Resumed), it is not a duplicate.
//
// An event's data must match its type's JSON Schema when the type has one; a failure is a
// validation error whose details name each failing JSON path ("data.summary.title"). Schemas
// are compiled once per process and schema text (package catalog).
package starter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/catalog"
	"github.com/herald-webhooks/herald/internal/metrics"
	"github.com/herald-webhooks/herald/internal/postgres"
	"github.com/herald-webhooks/herald/internal/wire"
	"github.com/herald-webhooks/herald/workflows"
)

// Publisher publishes events.
type Publisher struct {
	Store    *postgres.Store
	Temporal client.Client
	// TaskQueue of the event workflows; wire.TaskQueue when empty. Delivery workflows run
	// on their event workflow's queue.
	TaskQueue string
	// Metrics records publishes; metrics.Default when nil.
	Metrics *metrics.Metrics

	schemas catalog.Schemas // compiled schemas of the event types, by schema text
}

// Event is what a backend publishes (herald.EventInput). ID and Timestamp are generated when empty.
type Event = herald.EventInput

// Result is the answer to a publish.
type Result struct {
	Event   *herald.Event
	Created bool // false when this id had been published before with the same content
	// Resumed is true when the id had been stored before but its event workflow had never
	// started (the first publish failed to reach Temporal): this publish started it.
	Resumed bool
}

// Outcomes of a publish, as Result.Outcome names them.
const (
	OutcomeCreated   = "created"   // a new event; its deliveries start now
	OutcomeResumed   = "resumed"   // stored before, never started; its deliveries start now
	OutcomeDuplicate = "duplicate" // published before and started then: nothing new is delivered
)

// Outcome says what the publish did.
func (r *Result) Outcome() string {
	switch {
	case r.Created:
		return OutcomeCreated
	case r.Resumed:
		return OutcomeResumed
	}
	return OutcomeDuplicate
}

// Duplicate reports whether the publish changed nothing: the event was stored and started before.
func (r *Result) Duplicate() bool { return r.Outcome() == OutcomeDuplicate }

// Publish validates, stores and starts the event. Errors are *herald.Error for bad input; an
// event that is refused (bad fields, an unknown or archived type, data its type's schema
// rejects, an owner not in the directory) is not stored and starts nothing.
//
// An id that was accepted before keeps its first answer even when the catalog or the directory
// changed since (its type archived, its schema stricter): a publisher retrying an accepted event
// gets the same 202 (or 409 for other content), never a 422.
func (p *Publisher) Publish(ctx context.Context, in Event) (*Result, error) {
	m := p.Metrics
	if m == nil {
		m = metrics.Default
	}
	reject := func(err error) (*Result, error) {
		if code := herald.ErrorCode(err); code != herald.EInternal && code != herald.EUnavailable {
			m.Rejected()
		}
		return nil, err
	}
	if err := checkFields(&in); err != nil {
		return reject(err)
	}
	if err := p.checkReferences(ctx, in); err != nil {
		accepted, lookupErr := p.accepted(ctx, in.ID, err)
		if lookupErr != nil {
			return nil, lookupErr
		}
		if !accepted {
			return reject(err)
		}
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
	started, err := p.start(ctx, stored, created)
	if err != nil {
		return nil, err
	}
	m.Published(created)
	return &Result{Event: stored, Created: created, Resumed: !created && started}, nil
}

// start starts the event workflow unless it runs or ran already, and reports whether this call
// started it. For a new event, a workflow that exists already (a concurrent republish started
// it) is used as is; for a stored one, the start is refused when the workflow exists or existed,
// and that refusal is what tells a duplicate from a resumed publish.
func (p *Publisher) start(ctx context.Context, ev *herald.Event, created bool) (bool, error) {
	owner := "user:" + ev.UserID
	if ev.OrganizationID != "" {
		owner = "org:" + ev.OrganizationID
	}
	queue := p.TaskQueue
	if queue == "" {
		queue = wire.TaskQueue
	}
	conflict := enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	if !created {
		conflict = enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL
	}
	_, err := p.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       wire.EventWorkflowID(ev.ID),
		TaskQueue:                queue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: conflict,
		// An existing workflow is an error, not a handle on it, so that a republish can tell.
		WorkflowExecutionErrorWhenAlreadyStarted: !created,
		StaticSummary:                            ev.Type,
		// With a worker in this process (herald dev, bench), the first workflow task comes back
		// in the start call's answer instead of through a poll: lower publish-to-receive latency.
		EnableEagerStart: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			wire.AttrEventType.ValueSet(ev.Type),
			wire.AttrOwnerID.ValueSet(owner),
			workflows.BuildIDsAttribute(),
		),
	}, workflows.EventWorkflow, wire.EventInput{EventID: ev.ID, WaveSize: wire.DefaultWaveSize})
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &already):
		return false, nil
	case err != nil:
		var herr *herald.Error
		errors.As(TemporalError(err), &herr)
		if herr.Code == herald.EUnavailable {
			herr.Message = "the event is stored but its workflow could not start; publish it again"
		} else {
			herr.Message = "the event is stored but Temporal refused to start its workflow: " + herr.Message
		}
		return false, herr
	}
	return true, nil
}

// accepted reports whether a publish refused with err is a retry of an event already stored:
// only the catalog and directory checks may refuse one, and InsertEvent then compares content.
func (p *Publisher) accepted(ctx context.Context, id string, err error) (bool, error) {
	if id == "" || herald.ErrorCode(err) == herald.EInternal || herald.ErrorCode(err) == herald.EUnavailable {
		return false, nil
	}
	_, lookupErr := p.Store.Event(ctx, id)
	switch {
	case lookupErr == nil:
		return true, nil
	case herald.ErrorCode(lookupErr) == herald.ENotFound:
		return false, nil
	}
	return false, lookupErr
}

// checkFields checks the event's own fields (herald.EventInput.Validate) and that every
// format can deliver its data, and trims the data.
func checkFields(in *Event) error {
	details := in.Validate()
	if len(details) == 0 {
		in.Data = bytes.TrimSpace(in.Data)
		if d := Undeliverable("data", in.Data); d != nil {
			details = append(details, *d)
		}
	}
	return herald.Invalid("the event", details)
}

// checkReferences checks the event against the catalog (a known, unarchived type whose schema
// accepts the data) and the directory (its user and organization exist).
func (p *Publisher) checkReferences(ctx context.Context, in Event) error {
	et, err := p.Store.EventType(ctx, in.Type)
	if herald.ErrorCode(err) == herald.ENotFound {
		return &herald.Error{Code: herald.EUnknownEvent, Message: fmt.Sprintf("event type %q is not in the catalog", in.Type),
			Details: []herald.ErrorDetail{{Field: "event", Message: "unknown event type"}}}
	}
	if err != nil {
		return err
	}
	if et.Archived {
		return &herald.Error{Code: herald.EUnknownEvent, Message: fmt.Sprintf("event type %q is archived", in.Type),
			Details: []herald.ErrorDetail{{Field: "event", Message: "archived event type; events of it can no longer be published"}}}
	}
	if len(et.Schema) > 0 {
		sch, err := p.schemas.Get(et.Schema)
		if err != nil {
			// Stored schemas were compiled when they were put; one that no longer compiles is
			// Herald's fault, not the publisher's.
			return fmt.Errorf("event type %s: stored schema does not compile: %v", et.Name, err) // %v: not the publisher's 422
		}
		if d := sch.Validate("data", in.Data); len(d) > 0 {
			return &herald.Error{Code: herald.EInvalid,
				Message: fmt.Sprintf("data does not match the schema of event type %q", in.Type), Details: d}
		}
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
