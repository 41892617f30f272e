package presets

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/payload"
	"github.com/herald-webhooks/herald/internal/signing"
)

func TestEveryPresetIsAValidWebhookConfiguration(t *testing.T) {
	secretPrefix := regexp.MustCompile(`^[a-z]{1,10}_$`) // what the API accepts as secret_prefix
	seen := map[string]bool{}
	for _, p := range All() {
		t.Run(p.Name, func(t *testing.T) {
			if p.Name == "" || p.Product == "" || p.Description == "" {
				t.Fatalf("preset without name, product or description: %+v", p)
			}
			if seen[p.Name] {
				t.Fatalf("name %q used twice", p.Name)
			}
			seen[p.Name] = true
			if d := signing.Validate(p.Signing, "signing."); len(d) > 0 {
				t.Errorf("signing invalid: %v", d)
			}
			if n := signing.Normalize(p.Signing); n != p.Signing {
				t.Errorf("signing is not spelled out: %+v, normalized %+v", p.Signing, n)
			}
			if d := p.Retry.Validate("retry."); len(d) > 0 {
				t.Errorf("retry invalid: %v", d)
			}
			// Within the delivery window even if the user raises the timeout to its maximum.
			if d := p.Retry.ValidateSchedule("retry", 60); len(d) > 0 {
				t.Errorf("retry schedule: %v", d)
			}
			if p.TimeoutSeconds < 1 || p.TimeoutSeconds > 60 {
				t.Errorf("timeout %d s outside 1-60", p.TimeoutSeconds)
			}
			if _, ok := payload.ShapeNamed(p.Format); !ok || p.Format == "" {
				t.Errorf("format %q", p.Format)
			}
			for k, v := range p.Headers {
				if signing.Reserved(k) || strings.ContainsAny(v, "\r\n") || v == "" {
					t.Errorf("header %q: %q", k, v)
				}
			}
			if !secretPrefix.MatchString(p.SecretPrefix) {
				t.Errorf("secret prefix %q", p.SecretPrefix)
			}
			if p.EventHeader != "" && signing.Reserved(p.EventHeader) {
				t.Errorf("event header %q is reserved", p.EventHeader)
			}
			if p.DisableAfterFailures < 1 {
				t.Errorf("auto-disable %d", p.DisableAfterFailures)
			}
			if _, err := signing.Sign(p.Signing, []string{signing.NewSecret(p.SecretPrefix)}, "evt_1", time.Now(), []byte(`{}`)); err != nil {
				t.Errorf("cannot sign: %v", err)
			}
		})
	}
}

// waits returns the pauses between the attempts of a policy.
func waits(p herald.RetryPolicy) []time.Duration {
	var out []time.Duration
	for a := 1; a < p.MaxAttempts; a++ {
		out = append(out, p.NextInterval(a))
	}
	return out
}

func TestPresetsFollowTheSeedDocuments(t *testing.T) {
	s := time.Second
	tests := []struct {
		name        string
		signing     herald.Signing
		waits       []time.Duration // between attempts; len+1 attempts in all
		timeout     int
		eventHeader string
		format      string
		prefix      string
		disable     int
		headers     map[string]string
	}{
		{
			name:    "standard",
			signing: herald.Signing{Scheme: herald.SchemeStandard},
			waits: []time.Duration{60 * s, 120 * s, 240 * s, 480 * s, 960 * s, 1920 * s, 3840 * s,
				7200 * s, 7200 * s, 7200 * s, 7200 * s, 7200 * s, 7200 * s, 7200 * s, 7200 * s, 7200 * s, 7200 * s},
			timeout: 30, format: herald.FormatEnvelope, prefix: "whsec_", disable: 15,
		},
		{
			name: "pocket",
			signing: herald.Signing{Scheme: herald.SchemeHMAC, Header: "X-HeyPocket-Signature", Encoding: "hex",
				Content: "timestamp.body", TimestampHeader: "X-HeyPocket-Timestamp", TimestampUnit: "ms"},
			waits:   []time.Duration{1 * s, 2 * s}, // 3 attempts, exponential from 1 s
			timeout: 30, format: herald.FormatFlat, prefix: "whsec_", disable: 15,
			headers: map[string]string{"User-Agent": "HeyPocket-Webhook/1.0"}, // "User-Agent | HeyPocket-Webhook/1.0"
		},
		{
			name:    "meeting-platform",
			signing: herald.Signing{Scheme: herald.SchemeHMAC, Header: "X-Webhook-Signature", Prefix: "sha256=", Encoding: "hex", Content: "body", TimestampUnit: "s"},
			waits:   waits(herald.DefaultRetryPolicy),
			timeout: 30, format: herald.FormatEnvelope, prefix: "whsec_", disable: 15,
		},
		{
			name:    "convo",
			signing: herald.Signing{Scheme: herald.SchemeHMAC, Header: "X-Convo-Signature", Encoding: "hex", Content: "body", TimestampUnit: "s"},
			waits:   nil, // fire-and-forget
			timeout: 10, eventHeader: "X-Convo-Event", format: herald.FormatEnvelope, prefix: "whsec_", disable: 15,
		},
		{
			name:    "pocketsflow",
			signing: herald.Signing{Scheme: herald.SchemeHMAC, Header: "X-Pocketsflow-Signature", Encoding: "hex", Content: "body", TimestampUnit: "s"},
			waits:   nil, // no automatic retry
			// event.type, event.id, event.data
			timeout: 5, format: herald.FormatTyped, prefix: "whsec_", disable: 15,
		},
		{
			name:    "bigmind",
			signing: herald.Signing{Scheme: herald.SchemeHMAC, Header: "X-Webhook-Signature", Encoding: "hex", Content: "body", TimestampUnit: "s"},
			waits:   []time.Duration{2 * s, 4 * s, 8 * s, 16 * s, 32 * s}, // 5 retries at 2^retry s
			timeout: 5, format: herald.FormatEnvelope, prefix: "wsec_", disable: 15,
		},
	}
	var names []string
	for _, tt := range tests {
		names = append(names, tt.name)
		t.Run(tt.name, func(t *testing.T) {
			p, ok := Get(tt.name)
			if !ok {
				t.Fatal("no such preset")
			}
			if p.Signing != tt.signing {
				t.Errorf("signing %+v, want %+v", p.Signing, tt.signing)
			}
			if got := waits(p.Retry); !slices.Equal(got, tt.waits) {
				t.Errorf("waits %v, want %v", got, tt.waits)
			}
			if p.TimeoutSeconds != tt.timeout || p.EventHeader != tt.eventHeader || p.Format != tt.format ||
				p.SecretPrefix != tt.prefix || p.DisableAfterFailures != tt.disable {
				t.Errorf("timeout %d, event header %q, format %q, prefix %q, disable %d; want %d, %q, %q, %q, %d",
					p.TimeoutSeconds, p.EventHeader, p.Format, p.SecretPrefix, p.DisableAfterFailures,
					tt.timeout, tt.eventHeader, tt.format, tt.prefix, tt.disable)
			}
			if !maps.Equal(p.Headers, tt.headers) {
				t.Errorf("headers %v, want %v", p.Headers, tt.headers)
			}
		})
	}
	t.Run("All lists exactly these presets in this order", func(t *testing.T) {
		var got []string
		for _, p := range All() {
			got = append(got, p.Name)
		}
		if !slices.Equal(got, names) {
			t.Fatalf("All() = %v, want %v", got, names)
		}
	})
}

func TestGetAndAll(t *testing.T) {
	t.Run("an unknown name is not found", func(t *testing.T) {
		for _, n := range []string{"", "Pocket", "nope"} {
			if _, ok := Get(n); ok {
				t.Errorf("Get(%q) found a preset", n)
			}
		}
	})
	t.Run("changing what All returns does not change the presets", func(t *testing.T) {
		ps := All()
		ps[0].TimeoutSeconds = 99
		ps[0] = Preset{}
		if p, _ := Get("standard"); p.TimeoutSeconds != 30 {
			t.Fatalf("standard changed: %+v", p)
		}
	})
}

func TestApply(t *testing.T) {
	p, _ := Get("bigmind")
	w := &herald.Webhook{
		Name: "n", URL: "https://example.com/h", Events: []string{"a"}, Headers: map[string]string{"X-A": "1"},
		Signing: herald.Signing{Scheme: herald.SchemeNone}, Retry: herald.DefaultRetryPolicy, TimeoutSeconds: 60,
		EventHeader: "X-Old", Format: herald.FormatFlat, SecretPrefix: "whsec_", SecretHint: "whsec_****", DisableAfterFailures: 3,
	}
	p.Apply(w)
	if w.Signing != p.Signing || w.Retry != p.Retry || w.TimeoutSeconds != 5 || w.EventHeader != "" ||
		w.Format != herald.FormatEnvelope || w.SecretPrefix != "wsec_" || w.DisableAfterFailures != 15 {
		t.Fatalf("delivery settings not applied: %+v", w)
	}
	if w.Name != "n" || w.URL != "https://example.com/h" || w.Headers["X-A"] != "1" || w.SecretHint != "whsec_****" {
		t.Fatalf("Apply changed more than delivery settings: %+v", w)
	}
}

func TestWithHeaders(t *testing.T) {
	p, _ := Get("pocket")
	tests := []struct {
		name string
		own  map[string]string
		want map[string]string
	}{
		{"no headers of its own get the preset's", nil, map[string]string{"User-Agent": "HeyPocket-Webhook/1.0"}},
		{"other headers are kept beside the preset's", map[string]string{"X-A": "1"},
			map[string]string{"X-A": "1", "User-Agent": "HeyPocket-Webhook/1.0"}},
		{"the webhook's own header wins, whatever its case", map[string]string{"user-agent": "Mine/2"},
			map[string]string{"user-agent": "Mine/2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.WithHeaders(tt.own); !maps.Equal(got, tt.want) {
				t.Fatalf("WithHeaders(%v) = %v, want %v", tt.own, got, tt.want)
			}
		})
	}
	t.Run("a preset without headers returns the webhook's as they are", func(t *testing.T) {
		b, _ := Get("bigmind")
		if got := b.WithHeaders(nil); got != nil {
			t.Fatalf("got %v", got)
		}
	})
}
