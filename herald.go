// Package herald holds Herald's domain types, its error model and its identifier helpers.
// Every other package speaks these types; none of them depends on a transport or a store.
package herald

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Version is the Herald version sent in the default User-Agent.
const Version = "0.3.0"

// Payload formats: the body shapes of package payload.
const (
	FormatEnvelope = "envelope" // {id, event, timestamp, webhook_id, user, organization, data}
	FormatFlat     = "flat"     // the envelope's members with data's merged in, Herald's winning
	FormatTyped    = "typed"    // the envelope with the event type under "type" instead of "event"
)

// Event is one published event. It is immutable once accepted.
type Event struct {
	ID             string          `db:"id" json:"id"`
	Type           string          `db:"type" json:"event"`
	Timestamp      time.Time       `db:"timestamp" json:"timestamp"`
	UserID         string          `db:"user_id" json:"user_id,omitempty"`
	OrganizationID string          `db:"organization_id" json:"organization_id,omitempty"`
	Data           json.RawMessage `db:"data" json:"data"`
	CreatedAt      time.Time       `db:"created_at" json:"created_at"`
}

// RetryPolicy is a webhook's retry settings; it becomes the Temporal retry policy of the deliver activity.
type RetryPolicy struct {
	MaxAttempts            int     `json:"max_attempts"`
	InitialIntervalSeconds float64 `json:"initial_interval_seconds"`
	BackoffCoefficient     float64 `json:"backoff_coefficient"`
	MaxIntervalSeconds     float64 `json:"max_interval_seconds"`
}

// DefaultRetryPolicy spans about a day: 18 attempts, 1 min doubling up to 2 h (about 22 h in all).
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 18, InitialIntervalSeconds: 60, BackoffCoefficient: 2, MaxIntervalSeconds: 7200}

// NextInterval is the wait after the given failed attempt (1-based) under the policy.
func (p RetryPolicy) NextInterval(attempt int) time.Duration {
	d := p.InitialIntervalSeconds
	for i := 1; i < attempt; i++ {
		d *= p.BackoffCoefficient
		if p.MaxIntervalSeconds > 0 && d >= p.MaxIntervalSeconds {
			d = p.MaxIntervalSeconds
			break
		}
	}
	if p.MaxIntervalSeconds > 0 && d > p.MaxIntervalSeconds {
		d = p.MaxIntervalSeconds
	}
	return time.Duration(d * float64(time.Second))
}

// MaxRetryWindow bounds how long a delivery's attempts may take in all: its workflow must
// close within the Temporal namespace's 7-day retention. The delivery workflow stops retrying at
// it, and webhooks refuse a policy whose Schedule exceeds it (ValidateSchedule), so no delivery
// is cut short without a word.
const MaxRetryWindow = 6 * 24 * time.Hour

// AttemptTimeout is how long one attempt may take for a webhook with the given HTTP timeout
// (30 s when 0): the timeout plus room to load the target and record the attempt, both of
// which wait out a PostgreSQL restart.
func AttemptTimeout(timeoutSeconds int) time.Duration {
	timeout := time.Duration(timeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return timeout + 30*time.Second
}

// Schedule is the longest the attempts after the first offset can take under the policy: each
// attempt's timeout plus the interval after it, and a minute to spare. Schedule(0, ...) is a
// whole delivery; the delivery workflow bounds its retries by Schedule(offset, ...), capped at
// MaxRetryWindow. Past MaxRetryWindow it stops counting: the answer is then only "too long".
func (p RetryPolicy) Schedule(offset int, attemptTimeout time.Duration) time.Duration {
	total := time.Minute
	for n := offset + 1; n <= p.MaxAttempts && total < MaxRetryWindow; n++ {
		total += attemptTimeout + p.NextInterval(n)
	}
	return total
}

// ValidateSchedule reports, on the field named field, a policy whose whole schedule, with
// attempts of a webhook with the given HTTP timeout, exceeds MaxRetryWindow: such a delivery
// would stop before its last attempts.
func (p RetryPolicy) ValidateSchedule(field string, timeoutSeconds int) []ErrorDetail {
	if p.Schedule(0, AttemptTimeout(timeoutSeconds)) < MaxRetryWindow {
		return nil
	}
	return []ErrorDetail{{Field: field, Message: fmt.Sprintf("its attempts, with their timeouts (%s each) and the intervals "+
		"between them, can take longer than a delivery may: at most %s (6 days); use fewer attempts or shorter intervals",
		AttemptTimeout(timeoutSeconds), MaxRetryWindow)}}
}

// Validate reports field errors of the policy.
func (p RetryPolicy) Validate(prefix string) []ErrorDetail {
	var d []ErrorDetail
	if p.MaxAttempts < 1 || p.MaxAttempts > 50 {
		d = append(d, ErrorDetail{Field: prefix + "max_attempts", Message: "must be between 1 and 50"})
	}
	if p.InitialIntervalSeconds < 0.1 || p.InitialIntervalSeconds > 86400 {
		d = append(d, ErrorDetail{Field: prefix + "initial_interval_seconds", Message: "must be between 0.1 and 86400"})
	}
	if p.BackoffCoefficient < 1 || p.BackoffCoefficient > 10 {
		d = append(d, ErrorDetail{Field: prefix + "backoff_coefficient", Message: "must be between 1 and 10"})
	}
	if p.MaxIntervalSeconds < p.InitialIntervalSeconds || p.MaxIntervalSeconds > 86400 {
		d = append(d, ErrorDetail{Field: prefix + "max_interval_seconds", Message: "must be at least initial_interval_seconds and at most 86400"})
	}
	return d
}

// Webhook is one destination: where an owner wants which events delivered, and how.
type Webhook struct {
	ID             string        `json:"id"`
	UserID         string        `json:"user_id,omitempty"`
	OrganizationID string        `json:"organization_id,omitempty"`
	Name           string        `json:"name"`
	Description    string        `json:"description"`
	URL            string        `json:"url"`
	Events         []string      `json:"events"`
	Status         WebhookStatus `json:"status"`
	DisabledReason string        `json:"disabled_reason,omitempty"`
	// Headers are the custom request headers. The values of sensitive ones (credential names,
	// see signing.CredentialHeader, and SensitiveHeaders) are sealed at rest and read back as
	// MaskedHeaderValue.
	Headers map[string]string `json:"headers"`
	// SensitiveHeaders names more headers whose values are sealed and masked like credentials.
	SensitiveHeaders []string    `json:"sensitive_headers"`
	EventHeader      string      `json:"event_header,omitempty"`
	TimeoutSeconds   int         `json:"timeout_seconds"`
	Format           string      `json:"format"`
	Retry            RetryPolicy `json:"retry"`
	Signing          Signing     `json:"signing"`
	SecretPrefix     string      `json:"secret_prefix"`
	SecretHint       string      `json:"secret_hint"`
	// The auto-disable rule: the webhook is disabled when it has failed continuously (no
	// success) for DisableAfterSeconds and for at least DisableAfterFailures consecutive
	// attempts. DisableAfterFailures 0 never disables; DisableAfterSeconds 0 lets the count
	// alone decide (a preset's documented rule, e.g. Bigmind's 15 failures).
	DisableAfterFailures int `json:"disable_after_failures"`
	DisableAfterSeconds  int `json:"disable_after_seconds"`
	ConsecutiveFailures  int `json:"consecutive_failures"`
	// FailingSince is the first failed attempt since the last success (nil: not failing).
	FailingSince *time.Time `json:"failing_since"`
	// DisabledAt is when the webhook was disabled (nil unless its status is disabled).
	DisabledAt *time.Time `json:"disabled_at"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// MaskedHeaderValue is how a sensitive header's value reads after create. Sent back in a PUT
// or PATCH for a header that holds a sealed value, it keeps that value.
const MaskedHeaderValue = "****"

// WebhookWithSecret is a webhook with its plaintext signing secret: the answer of create and
// of a secret rotation, the only ones that show the secret. Webhook, which every read answers,
// has no field that could carry it.
type WebhookWithSecret struct {
	*Webhook
	Secret string `json:"secret"`
}

// Signing schemes.
const (
	SchemeStandard = "standard"
	SchemeHMAC     = "hmac-sha256"
	SchemeNone     = "none"
)

// Signing is how a webhook's requests are signed (SPEC section 6). Only Scheme matters for
// "standard" and "none"; the other fields configure "hmac-sha256".
type Signing struct {
	Scheme          string `json:"scheme"`                     // standard | hmac-sha256 | none
	Header          string `json:"header,omitempty"`           // signature header, default X-Webhook-Signature
	Prefix          string `json:"prefix,omitempty"`           // e.g. "sha256="
	Encoding        string `json:"encoding,omitempty"`         // hex | base64
	Content         string `json:"content,omitempty"`          // body | timestamp.body
	TimestampHeader string `json:"timestamp_header,omitempty"` // header carrying the timestamp, optional
	TimestampUnit   string `json:"timestamp_unit,omitempty"`   // s | ms
}

// Owner returns the webhook's owner id, the organization's when it has one.
func (w *Webhook) Owner() string {
	if w.OrganizationID != "" {
		return "org:" + w.OrganizationID
	}
	return "user:" + w.UserID
}

// Delivery is one event on its way to one webhook.
type Delivery struct {
	ID             string         `db:"id" json:"id"`
	EventID        string         `db:"event_id" json:"event_id"`
	EventType      string         `db:"event_type" json:"event"`
	WebhookID      string         `db:"webhook_id" json:"webhook_id"`
	Status         DeliveryStatus `db:"status" json:"status"`
	Attempts       int            `db:"attempts" json:"attempts"`
	LastStatusCode *int           `db:"last_status_code" json:"last_status_code"`
	NextAttemptAt  *time.Time     `db:"next_attempt_at" json:"next_attempt_at"`
	CreatedAt      time.Time      `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time      `db:"updated_at" json:"updated_at"`
	AttemptLog     []Attempt      `db:"-" json:"attempt_log,omitempty"`
}

// Attempt is one HTTP request of a delivery, as recorded in the log.
type Attempt struct {
	Number       int       `db:"number" json:"number"`
	Trigger      Trigger   `db:"trigger" json:"trigger"`
	StartedAt    time.Time `db:"started_at" json:"started_at"`
	DurationMS   int64     `db:"duration_ms" json:"duration_ms"`
	StatusCode   *int      `db:"status_code" json:"status_code"`
	ErrorKind    string    `db:"error_kind" json:"error_kind,omitempty"`
	Error        string    `db:"error" json:"error,omitempty"`
	ResponseBody string    `db:"response_body" json:"response_body"`
	// RequestHeaders are the headers the request carried, as recorded: signatures redacted.
	RequestHeaders json.RawMessage `db:"request_headers" json:"request_headers"`
	// RequestBodySize and RequestBodySHA256 identify the body sent: the delivery's stored bytes,
	// the same on every attempt, so a receiver's copy can be compared without showing the body.
	RequestBodySize   int64  `db:"request_body_size" json:"request_body_size"`
	RequestBodySHA256 string `db:"request_body_sha256" json:"request_body_sha256"`
}

// urlInText matches a URL in a text: its scheme, its user info, its host, then the rest.
var urlInText = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)(?:[^/\s"'?#@]*@)?([^/\s"'?#]*)[^\s"']*`)

// RedactURLs cuts every URL in s to its scheme and host. A failed attempt's error is
// net/http's *url.Error text, which quotes the whole webhook URL, and receivers put tokens in
// its path, query and user info: the attempt log, the Temporal history of the delivery and
// the logs show the host, which is what an operator needs to tell where it failed.
func RedactURLs(s string) string { return urlInText.ReplaceAllString(s, "${1}${2}") }

// EventType is one entry of the event catalog.
type EventType struct {
	Name        string          `db:"name" json:"name"`
	Description string          `db:"description" json:"description"`
	Group       string          `db:"group_name" json:"group"`
	Schema      json.RawMessage `db:"schema" json:"schema,omitempty"`
	Example     json.RawMessage `db:"example" json:"example,omitempty"`
	Archived    bool            `db:"archived" json:"archived"`
}

// Validate reports the field errors of the event type's own members: the lengths of its
// description and group, and a schema and an example that are JSON objects. Whether the schema
// compiles and the example matches it and can be delivered is the catalog's check.
func (et *EventType) Validate() []ErrorDetail {
	var d details
	d.maxLen("description", et.Description, 2000)
	d.maxLen("group", et.Group, 200)
	for _, m := range []struct {
		field string
		raw   json.RawMessage
	}{{"schema", et.Schema}, {"example", et.Example}} {
		var obj map[string]json.RawMessage
		if m.raw != nil && (json.Unmarshal(m.raw, &obj) != nil || obj == nil) {
			d.add(m.field, "must be a JSON object")
		}
	}
	return d
}

// Error codes of the JSON error model. Each maps to one HTTP status in the api package.
const (
	EMalformed        = "malformed_request"
	EInvalid          = "validation_failed"
	EUnknownEvent     = "unknown_event_type"
	EUnauthorized     = "unauthorized"
	EForbidden        = "forbidden"
	ENotFound         = "not_found"
	EConflict         = "conflict"
	ETooLarge         = "payload_too_large"
	EUnavailable      = "unavailable"
	EInternal         = "internal"
	ERateLimited      = "rate_limited"
	EMethodNotAllowed = "method_not_allowed"
)

// ErrorDetail names one failing field.
type ErrorDetail struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an error a client may see: a code, a message safe to show, optional field details.
type Error struct {
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Details []ErrorDetail `json:"details,omitempty"`
	// Cause is the failure behind the error, for the server's log; a client never sees it.
	Cause error `json:"-"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// NewID returns a random, URL-safe identifier with the given prefix, e.g. "evt_3kT...".
func NewID(prefix string) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, 22)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+)
	var sb strings.Builder
	sb.WriteString(prefix)
	for _, c := range b {
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}
