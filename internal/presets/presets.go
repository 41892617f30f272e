// Package presets holds named delivery settings, one per seed product Herald stands in for and
// one for Herald's own default, so that a webhook created with a preset is accepted by a
// receiver written from that product's documentation without further configuration.
//
// Each preset is derived from the product's published webhook documentation (kept in the
// project's shared seeds); the comment above each one cites what it follows and what it had to
// choose where the documentation is silent. Where a document is silent Herald's defaults apply:
// a 30 s timeout, the whsec_ secret prefix and auto-disable after 15 consecutive failed attempts
// spread over at least the deployment's failing duration (a day by default): a count alone is a
// rate, and at 20 events/s 15 attempts fail in under a second.
package presets

import (
	"strings"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/signing"
)

// DefaultDisableAfterFailures is Herald's auto-disable threshold (SPEC section 6).
const DefaultDisableAfterFailures = 15

// Preset is a named set of a webhook's delivery settings.
type Preset struct {
	Name        string `json:"name"`
	Product     string `json:"product"`
	Description string `json:"description"`

	Signing        herald.Signing     `json:"signing"`
	Retry          herald.RetryPolicy `json:"retry"`
	TimeoutSeconds int                `json:"timeout_seconds"`
	EventHeader    string             `json:"event_header,omitempty"`
	Format         string             `json:"format"`
	// Headers are custom headers the product documents (Pocket's User-Agent); a webhook's own
	// headers of the same name win.
	Headers              map[string]string `json:"headers,omitempty"`
	SecretPrefix         string            `json:"secret_prefix"`
	DisableAfterFailures int               `json:"disable_after_failures"`
	// DisableAfterSeconds is how long a webhook must fail continuously before it is disabled;
	// nil takes the deployment's default (HERALD_DISABLE_AFTER), 0 lets the count alone decide
	// (a product that documents a count-only rule).
	DisableAfterSeconds *int `json:"disable_after_seconds,omitempty"`
}

// Apply overwrites w's delivery settings (signing, retry, timeout, event header, format, secret
// prefix, auto-disable rule) with the preset's; a preset without its own failing duration leaves
// w's. Apply it before the fields a request sets
// explicitly, so that those override the preset. The secret itself is not touched: generate it
// after Apply so that it carries the preset's prefix.
func (p Preset) Apply(w *herald.Webhook) {
	w.Signing = p.Signing
	w.Retry = p.Retry
	w.TimeoutSeconds = p.TimeoutSeconds
	w.EventHeader = p.EventHeader
	w.Format = p.Format
	w.SecretPrefix = p.SecretPrefix
	w.DisableAfterFailures = p.DisableAfterFailures
	w.Headers = p.WithHeaders(w.Headers)
	if p.DisableAfterSeconds != nil {
		w.DisableAfterSeconds = *p.DisableAfterSeconds
	}
}

// WithHeaders returns own completed with the preset's headers that own does not set (header
// names compare case-insensitively). own is returned as it is when the preset has none.
func (p Preset) WithHeaders(own map[string]string) map[string]string {
	if len(p.Headers) == 0 {
		return own
	}
	out := make(map[string]string, len(own)+len(p.Headers))
	for k, v := range p.Headers {
		out[k] = v
	}
	for k, v := range own {
		for pk := range p.Headers {
			if strings.EqualFold(k, pk) {
				delete(out, pk)
			}
		}
		out[k] = v
	}
	return out
}

// Get returns the preset with the given name.
func Get(name string) (Preset, bool) {
	for _, p := range all {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

// All returns every preset, Herald's own first, then the seed products in the order of their
// documents. The slice is a fresh copy.
func All() []Preset { return append([]Preset(nil), all...) }

// noRetry is a single attempt. The intervals only matter if someone raises MaxAttempts.
var noRetry = herald.RetryPolicy{MaxAttempts: 1, InitialIntervalSeconds: 1, BackoffCoefficient: 2, MaxIntervalSeconds: 30}

// hmacBody is hex HMAC-SHA256 of the raw body in header.
func hmacBody(header string) herald.Signing {
	return signing.Normalize(herald.Signing{Scheme: herald.SchemeHMAC, Header: header})
}

var all = []Preset{
	{
		Name:        "standard",
		Product:     "Herald",
		Description: "Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature), retries for about a day.",
		Signing:     herald.Signing{Scheme: herald.SchemeStandard},
		Retry:       herald.DefaultRetryPolicy, TimeoutSeconds: 30, Format: herald.FormatEnvelope,
		SecretPrefix: signing.DefaultSecretPrefix, DisableAfterFailures: DefaultDisableAfterFailures,
	},
	// Pocket: "X-HeyPocket-Signature | HMAC-SHA256 of {timestamp}.{rawBody} using your secret",
	// "X-HeyPocket-Timestamp | Unix timestamp (ms) of the delivery", digest('hex'); "Timeout | 30
	// seconds"; "Retries | 3 attempts (exponential backoff 1s–30s)": 3 attempts in all, waits
	// 1 s then 2 s, capped at 30 s should attempts be raised. The payload puts recording,
	// summarizations and transcript at the top level beside event, timestamp, user and
	// organization: the flat format. "User-Agent | HeyPocket-Webhook/1.0": a preset header.
	// Pocket does not document a secret format or auto-disable.
	{
		Name:    "pocket",
		Product: "Pocket",
		Description: "Pocket's recording webhooks: hex HMAC-SHA256 of \"{ms timestamp}.{body}\" in X-HeyPocket-Signature, " +
			"the timestamp in X-HeyPocket-Timestamp, flat payload, User-Agent HeyPocket-Webhook/1.0, 3 attempts 1 s to 30 s, 30 s timeout.",
		Signing: signing.Normalize(herald.Signing{Scheme: herald.SchemeHMAC, Header: "X-HeyPocket-Signature",
			Content: signing.ContentTimestampBody, TimestampHeader: "X-HeyPocket-Timestamp", TimestampUnit: signing.UnitMilliseconds}),
		Retry:          herald.RetryPolicy{MaxAttempts: 3, InitialIntervalSeconds: 1, BackoffCoefficient: 2, MaxIntervalSeconds: 30},
		TimeoutSeconds: 30, Format: herald.FormatFlat, Headers: map[string]string{"User-Agent": "HeyPocket-Webhook/1.0"},
		SecretPrefix: signing.DefaultSecretPrefix, DisableAfterFailures: DefaultDisableAfterFailures,
	},
	// The meeting-intelligence platform: "X-Webhook-Signature: sha256=abc123def456...", the
	// receiver computes createHmac('sha256', secret).update(JSON.stringify(payload)).digest('hex')
	// and compares with `sha256=${digest}`; Herald's body is a fixed point of that
	// re-serialization. Payloads carry event, timestamp and data: the envelope. The retry policy
	// is "configurable" with no documented default, so Herald's default (about a day) applies;
	// no timeout is documented either.
	{
		Name:    "meeting-platform",
		Product: "Meeting-intelligence platform",
		Description: "The meeting platform's webhooks: X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the body>, " +
			"envelope payload, Herald's default retries (about a day), 30 s timeout.",
		Signing:        signing.Normalize(herald.Signing{Scheme: herald.SchemeHMAC, Header: "X-Webhook-Signature", Prefix: "sha256="}),
		Retry:          herald.DefaultRetryPolicy,
		TimeoutSeconds: 30, Format: herald.FormatEnvelope,
		SecretPrefix: signing.DefaultSecretPrefix, DisableAfterFailures: DefaultDisableAfterFailures,
	},
	// Convo: "Verify the X-Convo-Signature header", createHmac('sha256', webhookSecret)
	// .update(rawBody).digest('hex'); "The event type is in the X-Convo-Event header"; "a
	// 10-second timeout"; "failed deliveries are not retried". Payload: event, data, timestamp.
	{
		Name:    "convo",
		Product: "Convo",
		Description: "Convo's webhooks: hex HMAC-SHA256 of the body in X-Convo-Signature, the event type in X-Convo-Event, " +
			"envelope payload, one attempt, 10 s timeout.",
		Signing:        hmacBody("X-Convo-Signature"),
		Retry:          noRetry,
		TimeoutSeconds: 10, EventHeader: "X-Convo-Event", Format: herald.FormatEnvelope,
		SecretPrefix: signing.DefaultSecretPrefix, DisableAfterFailures: DefaultDisableAfterFailures,
	},
	// Pocketsflow: "Header: X-Pocketsflow-Signature", verified over the raw body
	// (express.raw; "Verify payload as raw bytes, not parsed JSON"); the algorithm is on a page
	// that is not part of the seed, so hex HMAC-SHA256, the common form, is assumed. "Webhooks
	// have a 5-second timeout"; "does not automatically retry failed webhook deliveries".
	// Receivers read event.type (`if (event.type === 'order.completed')`), event.data
	// (`const { customer, product } = event.data`) and dedupe on event.id: the typed format.
	{
		Name:    "pocketsflow",
		Product: "Pocketsflow",
		Description: "Pocketsflow's payment webhooks: hex HMAC-SHA256 of the body in X-Pocketsflow-Signature, " +
			"typed payload (id, type, data), one attempt (manual redelivery only), 5 s timeout.",
		Signing:        hmacBody("X-Pocketsflow-Signature"),
		Retry:          noRetry,
		TimeoutSeconds: 5, Format: herald.FormatTyped,
		SecretPrefix: signing.DefaultSecretPrefix, DisableAfterFailures: DefaultDisableAfterFailures,
	},
	// Bigmind: "X-Webhook-Signature header containing an HMAC SHA-256 signature", digest('hex')
	// over JSON.stringify(req.body); secrets "starting with wsec_"; "retry failed deliveries up
	// to 5 times", "2^retry seconds" (retries 1 to 5: 2, 4, 8, 16, 32 s, so 6 attempts in
	// all); "responds quickly (within 5 seconds)"; "After 15 total failures across all
	// deliveries, your webhook will be automatically disabled". Payload: event, data,
	// webhook_id, timestamp: the envelope.
	{
		Name:    "bigmind",
		Product: "Bigmind",
		Description: "Bigmind's meeting webhooks: hex HMAC-SHA256 of the body in X-Webhook-Signature, wsec_ secrets, " +
			"envelope payload, 5 retries after 2, 4, 8, 16 and 32 s, 5 s timeout, disabled after 15 failures.",
		Signing:        hmacBody("X-Webhook-Signature"),
		Retry:          herald.RetryPolicy{MaxAttempts: 6, InitialIntervalSeconds: 2, BackoffCoefficient: 2, MaxIntervalSeconds: 32},
		TimeoutSeconds: 5, Format: herald.FormatEnvelope,
		SecretPrefix: "wsec_", DisableAfterFailures: 15, DisableAfterSeconds: new(int),
	},
}
