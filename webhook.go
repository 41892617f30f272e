package herald

import (
	"regexp"
	"strconv"
	"strings"
)

// WebhookStatus says whether a webhook receives deliveries. Its values are the API's and the
// database's.
type WebhookStatus string

// Webhook statuses.
const (
	WebhookActive   WebhookStatus = "active"
	WebhookInactive WebhookStatus = "inactive"
	// WebhookDisabled is a webhook Herald stopped (its auto-disable rule held, or its endpoint
	// answered 410 Gone); only an activation resumes it.
	WebhookDisabled WebhookStatus = "disabled"
)

// Formats are the payload formats a webhook may name, the default first.
var Formats = []string{FormatEnvelope, FormatFlat, FormatTyped}

// Bounds of webhook settings.
const (
	MaxWebhookHeaders       = 20
	MaxWebhookEvents        = 500
	MaxDisableAfterFailures = 1000
	MaxDisableAfterSeconds  = 30 * 24 * 3600
)

var (
	// headerToken is an HTTP field name (RFC 9110 token) of at most 100 characters.
	headerToken  = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]{1,100}$`)
	secretPrefix = regexp.MustCompile(`^[a-z]{1,10}_$`)
	// reservedHeaders are header names a webhook may not choose: the transport sets them, or
	// the standard scheme owns them (webhook-id, webhook-timestamp, webhook-signature).
	reservedHeaders = map[string]bool{"content-type": true, "content-length": true, "host": true,
		"transfer-encoding": true, "connection": true,
		"webhook-id": true, "webhook-timestamp": true, "webhook-signature": true}
)

// ValidHeaderName reports whether name is an HTTP field name of at most 100 characters.
func ValidHeaderName(name string) bool { return headerToken.MatchString(name) }

// ReservedHeader reports whether name (any case) is a header a webhook may not set or sign into.
func ReservedHeader(name string) bool { return reservedHeaders[strings.ToLower(name)] }

// ValidHeaderValue reports whether v can be sent as an HTTP header value (RFC 9110
// field-value: no control characters but tab); Go's client refuses any other, so every attempt
// of a webhook saved with one would fail and count toward auto-disable.
func ValidHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < ' ' && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}

// WebhookChecks are the rules of a webhook that need more than the webhook: the deployment's
// URL policy and the event catalog. Validate asks them at the fields they concern, so the
// details keep the fields' order; a nil check is skipped.
type WebhookChecks struct {
	// URL is why the deployment refuses the URL (its scheme, a private address), "" when it
	// does not. Validate has checked that the URL is given and not too long.
	URL func(url string) string
	// EventType reports whether the catalog has the event type, unarchived.
	EventType func(name string) bool
}

// Validate reports the field errors of the webhook's settings, with the checks that need the
// deployment asked through checks. The webhook is complete: the caller has filled in the
// defaults of the fields a request omitted.
func (w *Webhook) Validate(checks WebhookChecks) []ErrorDetail {
	var d details
	d.maxLen("name", w.Name, 200)
	d.maxLen("description", w.Description, 2000)
	switch {
	case w.URL == "":
		d.add("url", "is required")
	case len(w.URL) > 2000:
		d.add("url", "must be at most 2000 characters")
	case checks.URL != nil:
		if msg := checks.URL(w.URL); msg != "" {
			d.add("url", msg)
		}
	}
	d.events(w.Events, checks.EventType)
	if len(w.Headers) > MaxWebhookHeaders {
		d.add("headers", "at most 20 headers")
	}
	for k, v := range w.Headers {
		if !ValidHeaderName(k) || ReservedHeader(k) {
			d.add("headers."+k, "not an allowed header name")
		} else if !ValidHeaderValue(v) || len(v) > 2000 {
			d.add("headers."+k, "value must be one line of at most 2000 characters, without control characters")
		}
	}
	if len(w.SensitiveHeaders) > MaxWebhookHeaders {
		d.add("sensitive_headers", "at most 20 header names")
	}
	marked := map[string]bool{}
	for i, k := range w.SensitiveHeaders {
		field := "sensitive_headers[" + strconv.Itoa(i) + "]"
		if !ValidHeaderName(k) {
			d.add(field, "not a header name")
		} else if marked[strings.ToLower(k)] {
			d.add(field, "duplicate")
		}
		marked[strings.ToLower(k)] = true
	}
	if w.EventHeader != "" && (!ValidHeaderName(w.EventHeader) || ReservedHeader(w.EventHeader)) {
		d.add("event_header", "not an allowed header name")
	}
	if w.TimeoutSeconds < 1 || w.TimeoutSeconds > 60 {
		d.add("timeout_seconds", "must be between 1 and 60")
	}
	if !validFormat(w.Format) {
		d.add("format", "must be one of "+strings.Join(Formats, ", "))
	}
	retry := w.Retry.Validate("retry.")
	d = append(d, retry...)
	// The schedule depends on the policy and the timeout both, so a change to either is checked,
	// once both are valid on their own.
	if len(retry) == 0 && w.TimeoutSeconds <= 60 {
		d = append(d, w.Retry.ValidateSchedule("retry", w.TimeoutSeconds)...)
	}
	d = append(d, w.Signing.Validate("signing.")...)
	for k := range w.Headers {
		for _, h := range []string{w.Signing.Header, w.Signing.TimestampHeader} {
			if h != "" && strings.EqualFold(k, h) {
				d.add("headers."+k, "is set by the signing settings")
			}
		}
	}
	if !secretPrefix.MatchString(w.SecretPrefix) {
		d.add("secret_prefix", "1-10 lowercase letters and a trailing underscore, e.g. whsec_")
	}
	if w.DisableAfterFailures < 0 || w.DisableAfterFailures > MaxDisableAfterFailures {
		d.add("disable_after_failures", "must be between 0 (never) and 1000")
	}
	if w.DisableAfterSeconds < 0 || w.DisableAfterSeconds > MaxDisableAfterSeconds {
		d.add("disable_after_seconds", "must be between 0 (the failure count alone decides) and 2592000 (30 days)")
	}
	if w.Status == WebhookActive && len(w.Events) == 0 {
		d.add("events", "an active webhook needs at least one event")
	}
	return d
}

// events adds the field errors of a webhook's events list: known types (when known is given)
// without duplicates, or ["*"] alone.
func (d *details) events(events []string, known func(string) bool) {
	seen := map[string]bool{}
	for i, e := range events {
		field := "events[" + strconv.Itoa(i) + "]"
		switch {
		case e == "*" && len(events) > 1:
			d.add(field, `"*" must be the only entry`)
		case e != "*" && known != nil && !known(e):
			d.add(field, "unknown event type "+strconv.Quote(e))
		case seen[e]:
			d.add(field, "duplicate")
		}
		seen[e] = true
	}
	if len(events) > MaxWebhookEvents {
		d.add("events", "at most 500 event types")
	}
}

func validFormat(format string) bool {
	for _, f := range Formats {
		if format == f {
			return true
		}
	}
	return false
}
