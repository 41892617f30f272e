package wire

import (
	"encoding/json"
	"time"
)

// DefaultWaveSize is the delivery workflows one wave of an event workflow starts (one resolve
// page, ~140 KB of result); the starter puts it in EventInput.WaveSize.
const DefaultWaveSize = 500

// EventInput starts (or continues) an event workflow.
type EventInput struct {
	EventID string
	// WaveSize is the children started per wave (one resolve page). The starter sets it
	// (DefaultWaveSize); an event workflow started before paged fan-out has 0 and resolves
	// every destination at once, as it did when it started. The input, not workflow.GetVersion,
	// tells the two apart: GetVersion would upsert TemporalChangeVersion on every event workflow,
	// one more visibility write per event on the path every delivery takes.
	WaveSize int
	// After is the resolve cursor a continued run starts from ("" at the start); Started the
	// deliveries earlier runs started.
	After   string
	Started int
}

// EventResult says how many delivery workflows the event workflow started (DeliveryIDs lists
// them only for runs from before paged fan-out).
type EventResult struct {
	DeliveryIDs []string
	Started     int
}

// DeliveryInput starts a delivery workflow.
type DeliveryInput struct {
	DeliveryID     string
	EventID        string
	WebhookID      string
	Retry          RetryPolicy
	TimeoutSeconds int
	Trigger        string // herald.TriggerAuto when empty; herald.TriggerManual for a redelivery
	EventType      string // for the activity summaries the Temporal UI shows
	Host           string // the destination's host, for the same summaries
}

// DeliveryResult is a delivery workflow's final state.
type DeliveryResult struct {
	Status     string
	Attempts   int
	StatusCode int
}

// RetryPolicy is a webhook's retry settings as a workflow carries them: a copy taken when the
// delivery started, so that a later change to the webhook does not change a running delivery's
// policy. It has the fields of herald.RetryPolicy (convert with herald.RetryPolicy(p)) but not
// its JSON names, which are the public API's.
type RetryPolicy struct {
	MaxAttempts            int
	InitialIntervalSeconds float64
	BackoffCoefficient     float64
	MaxIntervalSeconds     float64
}

// UnmarshalJSON decodes a policy by its field names and also by the public API's names
// (max_attempts, ...): before this package, the resolve result, the deliver activity's input and
// the replay items carried herald.RetryPolicy itself, and histories written then are still
// replayed, and their scheduled activities still run, after an upgrade.
func (p *RetryPolicy) UnmarshalJSON(b []byte) error {
	type fields RetryPolicy // no methods: decodes the field names without recursing
	var v struct {
		fields
		LegacyMaxAttempts            *int     `json:"max_attempts"`
		LegacyInitialIntervalSeconds *float64 `json:"initial_interval_seconds"`
		LegacyBackoffCoefficient     *float64 `json:"backoff_coefficient"`
		LegacyMaxIntervalSeconds     *float64 `json:"max_interval_seconds"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = RetryPolicy(v.fields)
	if v.LegacyMaxAttempts != nil {
		p.MaxAttempts = *v.LegacyMaxAttempts
	}
	if v.LegacyInitialIntervalSeconds != nil {
		p.InitialIntervalSeconds = *v.LegacyInitialIntervalSeconds
	}
	if v.LegacyBackoffCoefficient != nil {
		p.BackoffCoefficient = *v.LegacyBackoffCoefficient
	}
	if v.LegacyMaxIntervalSeconds != nil {
		p.MaxIntervalSeconds = *v.LegacyMaxIntervalSeconds
	}
	return nil
}

// ResolveInput names the event to fan out, and the page of its destinations to resolve.
type ResolveInput struct {
	EventID string
	// After is the cursor: the Next of the previous page ("" for the first page).
	After string
	// Limit bounds the page; 0 resolves every destination at once (event workflows started
	// before paged fan-out).
	Limit int
}

// ResolveResult lists one page of the event's destinations.
type ResolveResult struct {
	EventType    string
	Destinations []Destination
	// Next is the cursor of the following page, "" when this page was the last one.
	Next string
}

// Destination is one webhook an event goes to, with what the delivery workflow needs to know
// up front (no secret, no payload).
type Destination struct {
	DeliveryID     string
	WebhookID      string
	Host           string
	Owner          string
	Status         string
	Retry          RetryPolicy
	TimeoutSeconds int
}

// DeliverInput names the delivery to attempt and the policy it runs under.
type DeliverInput struct {
	DeliveryID string
	Retry      RetryPolicy
	// Trigger is TriggerAuto (default) or TriggerManual (a redelivery: one attempt, sent even
	// when the delivery is final or the webhook inactive).
	Trigger string
	// AttemptOffset is how many attempts ran before this activity's first one (the delivery
	// workflow makes the first attempt as a local activity and the rest under a retry policy).
	AttemptOffset int
}

// DeliverResult is the outcome of a successful attempt, or of a delivery found already final.
type DeliverResult struct {
	Status     string // the delivery's status after this activity
	Attempt    int
	StatusCode int
	DurationMS int64
}

// FailedAttempt is the detail of a failed attempt's application error, and the payload of
// SignalAttempt: what the delivery workflow shows in its state query and how long it waits
// before the next attempt.
type FailedAttempt struct {
	Attempt       int
	StatusCode    int
	ErrorKind     string
	Error         string
	NextDelay     time.Duration // 0 when no attempt follows
	NextAttemptAt *time.Time
}

// FinishInput sets a delivery's final status.
type FinishInput struct {
	DeliveryID string
	Status     string
	Manual     bool // the end of a failed redelivery: failed unless delivered before
}

// TrackInput names a delivery whose status record must follow its status in PostgreSQL.
type TrackInput struct {
	DeliveryID string
	// Workflow is the status record's workflow type, and Attributes the keyword search
	// attributes a new record starts with (the delivery's event type, webhook and owner).
	Workflow   string
	Attributes map[string]string
	// StatusAttribute is the keyword search attribute that holds the status: a new record
	// starts with the status read here, so that it needs no update of its own.
	StatusAttribute string
}

// StatusRecordInput starts a delivery's status record.
type StatusRecordInput struct {
	DeliveryID string
}

// ReplayInput starts (or continues) a replay workflow.
type ReplayInput struct {
	ReplayID    string
	Concurrency int    // redeliveries in flight at once; the workflow's default when 0
	After       string // cursor: the last delivery handled by an earlier run
	Progress    ReplayProgress
}

// ReplayProgress counts a replay's redeliveries: the replay workflow's result and the answer
// of its QueryProgress.
type ReplayProgress struct {
	Found     int  // deliveries matched so far
	Started   int  // redeliveries started
	Succeeded int  // redeliveries that reached the endpoint with a 2xx
	Failed    int  // redeliveries that did not
	Done      bool // every matching delivery was redelivered
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
	Retry          RetryPolicy
	TimeoutSeconds int
}

// CancelDeliveriesInput starts (or continues as new) a cancel-deliveries workflow: it cancels
// the workflows of the webhook's deliveries that one change (a deletion: status cancelled; a
// disable: status held) stopped, found by the time that change wrote on their rows.
type CancelDeliveriesInput struct {
	WebhookID string
	Status    string    // the status the change gave the deliveries: cancelled or held
	At        time.Time // the stopping statement's time (the rows' updated_at)
	After     string    // cursor: the last delivery an earlier run handled
	Cancelled int       // delivery workflows asked to cancel so far
}

// CancelPageInput names one page of stopped deliveries to cancel.
type CancelPageInput struct {
	WebhookID string
	Status    string
	At        time.Time
	After     string
	Limit     int
}

// CancelPageResult is what one page did: how many workflows it asked to cancel and the cursor.
type CancelPageResult struct {
	Count int
	Last  string
}
