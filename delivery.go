package herald

import (
	"time"
)

// DeliveryStatus is where a delivery stands. Its values are the API's and the database's.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
	DeliveryCancelled DeliveryStatus = "cancelled"
	// DeliveryHeld is a delivery Herald did not send, or stopped retrying, because its webhook
	// was disabled: it waits for a replay (status held) after the webhook is activated again.
	DeliveryHeld DeliveryStatus = "held"
)

// DeliveryStatuses are the delivery statuses, in the order the API lists them.
var DeliveryStatuses = []DeliveryStatus{DeliveryPending, DeliverySucceeded, DeliveryFailed, DeliveryCancelled, DeliveryHeld}

// Valid reports whether s is one of the delivery statuses.
func (s DeliveryStatus) Valid() bool {
	for _, v := range DeliveryStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// Trigger is what started an attempt.
type Trigger string

// Attempt triggers.
const (
	TriggerAuto   Trigger = "auto"   // the delivery's workflow, first attempt or retry
	TriggerManual Trigger = "manual" // a redelivery or a replay
	TriggerTest   Trigger = "test"   // a test send
)

// Error kinds of attempts whose outcome is not (yet) known.
const (
	// AttemptInFlight is an attempt whose request may be on its way: it was logged just
	// before sending and its outcome has not been recorded yet.
	AttemptInFlight = "in_flight"
	// AttemptInterrupted is an attempt that was in flight when its worker stopped (a crash, a
	// cancelled activity): a later attempt began or the delivery finished without its outcome.
	// The endpoint may or may not have received it.
	AttemptInterrupted = "interrupted"
)

// NewDelivery is a delivery about to be created, with the exact body its attempts will send.
type NewDelivery struct {
	ID        string
	EventID   string
	WebhookID string
	Body      []byte
	Test      bool // a test send's delivery: kept out of replays and stats
	Held      bool // for a disabled webhook: created held, not pending (nothing sends it until a replay)
}

// DeliveryRef names a delivery and the event it carries (enough to find its workflow).
type DeliveryRef struct {
	ID        string `db:"id"`
	EventID   string `db:"event_id"`
	EventType string `db:"event_type"`
	// UpdatedAt is when the delivery last changed; for the deliveries one statement stopped it
	// is that statement's time, which names the change.
	UpdatedAt time.Time `db:"updated_at"`
}

// CancelledDelivery is a pending delivery that a webhook's deletion cancelled.
type CancelledDelivery struct {
	ID        string    `db:"id"`
	EventID   string    `db:"event_id"`
	UpdatedAt time.Time `db:"updated_at"` // the deletion's time, the same in every row
}

// DeliveryFilter narrows a delivery log: one webhook's (WebhookID) or, when WebhookID is
// empty, every webhook of Owner, deleted ones included, since their logs stay readable. Zero
// fields do not filter.
type DeliveryFilter struct {
	WebhookID string
	Owner     Owner
	Statuses  []DeliveryStatus // any of these
	EventType string
	Since     time.Time // created at or after
	Until     time.Time // created before
	Before    string    // cursor: a delivery id of this log; only older deliveries are returned
	Limit     int
}

// Target is what one attempt needs: where to send, what, and how to sign it.
type Target struct {
	DeliveryID     string
	DeliveryStatus DeliveryStatus
	EventID        string
	EventType      string
	EventTimestamp time.Time
	Body           []byte
	WebhookID      string
	WebhookStatus  WebhookStatus
	WebhookDeleted bool
	URL            string
	Headers        []byte // JSON object of the custom headers, sensitive ones opened
	// SensitiveHeaders are the header names the user marked sensitive: redacted in the log
	// like the credential names.
	SensitiveHeaders []string
	EventHeader      string
	TimeoutSeconds   int
	Secrets          []string // the secrets that sign now, opened, newest first
	Signing          []byte   // JSON of the webhook's Signing
}

// AttemptRecord is one finished attempt to record.
type AttemptRecord struct {
	Attempt
	RequestHeaders []byte     // JSON object of the request headers, signatures redacted
	Succeeded      bool       // a 2xx answer: the delivery succeeded
	NextAttemptAt  *time.Time // when the next automatic attempt is due, if any
}

// Replay is a bulk re-delivery request: a webhook's deliveries created in [Since, Until)
// whose status is one of Statuses.
type Replay struct {
	ID        string
	WebhookID string
	Since     *time.Time
	Until     *time.Time
	Statuses  []DeliveryStatus
	CreatedAt time.Time
}

// ReplayState is how far a replay got: its workflow's state.
type ReplayState string

// Replay states.
const (
	ReplayRunning    ReplayState = "running"
	ReplayCompleted  ReplayState = "completed"
	ReplayFailed     ReplayState = "failed"
	ReplayTerminated ReplayState = "terminated"
	ReplayCancelled  ReplayState = "cancelled"
	ReplayTimedOut   ReplayState = "timed_out"
)

// WebhookStats are the counts of a webhook's delivery log over a window.
type WebhookStats struct {
	Deliveries    DeliveryCounts
	Attempts      AttemptCounts
	LastSuccessAt *time.Time // the latest 2xx attempt, at any time
	LastFailureAt *time.Time // the latest failed attempt, at any time
}

// DeliveryCounts counts the deliveries created within the window, by status.
type DeliveryCounts struct {
	Total     int `db:"deliveries_total"`
	Succeeded int `db:"deliveries_succeeded"`
	Failed    int `db:"deliveries_failed"`
	Pending   int `db:"deliveries_pending"`
	Cancelled int `db:"deliveries_cancelled"`
}

// AttemptCounts counts the attempts (automatic, manual and test) started within the window;
// an attempt succeeded when it got a 2xx answer.
type AttemptCounts struct {
	Total     int `db:"attempts_total"`
	Succeeded int `db:"attempts_succeeded"`
	Failed    int `db:"attempts_failed"`
}
