package seedverify

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/payload"
	"github.com/herald-webhooks/herald/internal/presets"
	"github.com/herald-webhooks/herald/internal/signing"
)

// eventData holds what a careless serializer changes: HTML, an ampersand, and numbers that
// JavaScript prints differently from their source text (0.0 is 0; 1e-7 stays 1e-7).
const eventData = `{"html":"<p>Hi</p>","text":"a&b","zero":0.0,"tiny":1e-7}`

// buildBody is a delivery body in the given format, built by Herald's body shapes.
func buildBody(t *testing.T, format string) []byte {
	t.Helper()
	shape, ok := payload.ShapeNamed(format)
	if !ok {
		t.Fatalf("no body shape %q", format)
	}
	b, err := shape.Build(payload.Message{EventID: "evt_1", EventType: "summary.completed",
		Timestamp: time.Date(2026, 2, 18, 12, 0, 0, 0, time.UTC), WebhookID: "wh_1",
		User: &payload.User{ID: "user_1", Email: "alice@example.com"}, Organization: "org_1",
		Data: json.RawMessage(eventData)})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"<p>Hi</p>"`, `"a&b"`, `"zero":0,`, `"tiny":1e-7`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Fatalf("body %s lacks %s", b, want)
		}
	}
	return b
}

// delivery is one signed request of a webhook configured with preset p.
type delivery struct {
	preset presets.Preset
	secret string
	header http.Header
	body   []byte
	sigKey string // the signature header's name
}

func deliver(t *testing.T, name string, at time.Time) delivery {
	t.Helper()
	p, ok := presets.Get(name)
	if !ok {
		t.Fatalf("no preset %q", name)
	}
	d := delivery{preset: p, secret: signing.NewSecret(p.SecretPrefix), body: buildBody(t, p.Format)}
	d.header = sign(t, p, d.secret, at, d.body)
	d.sigKey = signing.SignatureHeaders(p.Signing)[0]
	return d
}

// sign returns the headers Herald sends with body under preset p.
func sign(t *testing.T, p presets.Preset, secret string, at time.Time, body []byte) http.Header {
	t.Helper()
	sig, err := signing.Sign(p.Signing, []string{secret}, "evt_1", at, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Herald-Webhook/" + herald.Version}}
	if p.EventHeader != "" {
		h.Set(p.EventHeader, "summary.completed")
	}
	for k, v := range sig {
		h.Set(k, v)
	}
	return h
}

func verifier(t *testing.T, name string) Verifier {
	t.Helper()
	v, ok := ForPreset(name)
	if !ok {
		t.Fatalf("no verifier for %q", name)
	}
	return v
}

func TestEachSeedReceiverAcceptsItsPresetsDelivery(t *testing.T) {
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			d := deliver(t, p.Name, time.Now())
			if err := verifier(t, p.Name)(d.secret, d.header, d.body); err != nil {
				t.Fatalf("verify: %v\nheaders %v\nbody %s", err, d.header, d.body)
			}
		})
	}
	t.Run("Bigmind's Python receiver accepts the bigmind preset too", func(t *testing.T) {
		d := deliver(t, "bigmind", time.Now())
		if err := BigmindPython(d.secret, d.header, d.body); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Pocket gets a 13-digit millisecond timestamp that is part of the signature", func(t *testing.T) {
		at := time.Date(2026, 2, 18, 12, 0, 0, 123_000_000, time.UTC)
		d := deliver(t, "pocket", at)
		if got := d.header.Get("X-HeyPocket-Timestamp"); got != "1771416000123" {
			t.Fatalf("X-HeyPocket-Timestamp = %q", got)
		}
	})
}

func TestSeedReceiversRejectTamperedDeliveries(t *testing.T) {
	tampers := []struct {
		name  string
		apply func(d *delivery)
	}{
		{"a tampered body", func(d *delivery) { d.body = bytes.Replace(d.body, []byte("a&b"), []byte("a&c"), 1) }},
		{"a tampered number", func(d *delivery) { d.body = bytes.Replace(d.body, []byte(`"zero":0`), []byte(`"zero":1`), 1) }},
		{"a tampered signature", func(d *delivery) {
			v := []byte(d.header.Get(d.sigKey))
			last := len(v) - 2 // before a possible base64 '='
			v[last] = map[bool]byte{true: 'A', false: 'B'}[v[last] != 'A']
			d.header.Set(d.sigKey, string(v))
		}},
		{"a truncated signature", func(d *delivery) { d.header.Set(d.sigKey, d.header.Get(d.sigKey)[:20]) }},
		{"a missing signature", func(d *delivery) { d.header.Del(d.sigKey) }},
		{"a signature repeated in two header fields", func(d *delivery) { d.header.Add(d.sigKey, d.header.Get(d.sigKey)) }},
		{"another secret", func(d *delivery) { d.secret = signing.NewSecret(d.preset.SecretPrefix) }},
	}
	for _, p := range presets.All() {
		for _, tc := range tampers {
			if p.Name == "standard" && tc.name == "a signature repeated in two header fields" {
				continue // the library reads the first field, which is intact
			}
			t.Run(p.Name+" rejects "+tc.name, func(t *testing.T) {
				d := deliver(t, p.Name, time.Now())
				tc.apply(&d)
				if err := verifier(t, p.Name)(d.secret, d.header, d.body); err == nil {
					t.Fatal("verified")
				}
			})
		}
	}
	t.Run("pocket rejects a changed timestamp header", func(t *testing.T) {
		d := deliver(t, "pocket", time.Now())
		d.header.Set("X-HeyPocket-Timestamp", "1")
		if err := Pocket(d.secret, d.header, d.body); !errors.Is(err, ErrSignature) {
			t.Fatalf("err %v, want ErrSignature", err)
		}
	})
	t.Run("pocket rejects a missing timestamp header", func(t *testing.T) {
		d := deliver(t, "pocket", time.Now())
		d.header.Del("X-HeyPocket-Timestamp")
		if err := Pocket(d.secret, d.header, d.body); !errors.Is(err, ErrSignature) {
			t.Fatalf("err %v, want ErrSignature", err)
		}
	})
	t.Run("convo rejects a delivery without X-Convo-Event", func(t *testing.T) {
		d := deliver(t, "convo", time.Now())
		d.header.Del("X-Convo-Event")
		if err := Convo(d.secret, d.header, d.body); !errors.Is(err, ErrMissingHeader) {
			t.Fatalf("err %v, want ErrMissingHeader", err)
		}
	})
	t.Run("bigmind's Python receiver rejects a tampered body", func(t *testing.T) {
		d := deliver(t, "bigmind", time.Now())
		if err := BigmindPython(d.secret, d.header, bytes.Replace(d.body, []byte("a&b"), []byte("a&c"), 1)); err == nil {
			t.Fatal("verified")
		}
	})
}

func TestOnlyTheStandardReceiverChecksTheTimestampAge(t *testing.T) {
	// None of the seed documents checks a tolerance, so their receivers accept a day-old
	// signature; the Standard Webhooks library refuses one older than 5 minutes.
	dayAgo := time.Now().Add(-24 * time.Hour)
	for _, p := range presets.All() {
		d := deliver(t, p.Name, dayAgo)
		err := verifier(t, p.Name)(d.secret, d.header, d.body)
		if p.Name == "standard" && err == nil {
			t.Errorf("standard accepted a day-old signature")
		}
		if p.Name != "standard" && err != nil {
			t.Errorf("%s refused a day-old signature its document accepts: %v", p.Name, err)
		}
	}
}

func TestReceiversThatReserializeNeedTheCanonicalBody(t *testing.T) {
	reserialize := map[string]bool{"bigmind": true, "meeting-platform": true}

	t.Run("a re-indented copy of the body verifies only where the receiver re-serializes", func(t *testing.T) {
		for _, p := range presets.All() {
			if p.Name == "standard" {
				continue
			}
			d := deliver(t, p.Name, time.Now())
			var indented bytes.Buffer
			if err := json.Indent(&indented, d.body, "", "  "); err != nil {
				t.Fatal(err)
			}
			err := verifier(t, p.Name)(d.secret, d.header, indented.Bytes())
			if reserialize[p.Name] && err != nil {
				t.Errorf("%s: the parsed and re-serialized body should verify: %v", p.Name, err)
			}
			if !reserialize[p.Name] && err == nil {
				t.Errorf("%s: a raw-body receiver verified different bytes", p.Name)
			}
		}
	})

	t.Run("a body that is not a JavaScript fixed point fails where the receiver re-serializes", func(t *testing.T) {
		// What a Go json.Marshal with default settings, or a copied source text, would send.
		raw := []byte(`{"event":"summary.completed","data":{"html":"\u003cp\u003eHi\u003c/p\u003e","text":"a\u0026b","zero":0.0,"tiny":1e-7}}`)
		for _, p := range presets.All() {
			if p.Name == "standard" {
				continue
			}
			secret := signing.NewSecret(p.SecretPrefix)
			h := sign(t, p, secret, time.Now(), raw)
			err := verifier(t, p.Name)(secret, h, raw)
			if reserialize[p.Name] && err == nil {
				t.Errorf("%s verified a signature over bytes JSON.stringify does not reproduce", p.Name)
			}
			if !reserialize[p.Name] && err != nil {
				t.Errorf("%s: a raw-body receiver should verify any signed bytes: %v", p.Name, err)
			}
		}
	})
}

func TestReceiversBehindExpressBodyParsers(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		json, raw   bool // accepted by express.json() (Bigmind, meeting platform), by express.raw (Pocketsflow)
	}{
		{"application/json is parsed", "application/json", true, true},
		{"a charset parameter is fine", "application/json; charset=utf-8", true, true},
		{"the type is compared without case", "Application/JSON", true, true},
		{"another charset is refused by the JSON parser only", "application/json; charset=iso-8859-1", false, true},
		{"text/plain is not parsed", "text/plain", false, false},
		{"no Content-Type is not parsed", "", false, false},
	}
	for _, name := range []string{"bigmind", "meeting-platform", "pocketsflow"} {
		for _, tt := range tests {
			t.Run(name+": "+tt.name, func(t *testing.T) {
				d := deliver(t, name, time.Now())
				d.header.Set("Content-Type", tt.contentType)
				if tt.contentType == "" {
					d.header.Del("Content-Type")
				}
				want := tt.json
				if name == "pocketsflow" {
					want = tt.raw
				}
				err := verifier(t, name)(d.secret, d.header, d.body)
				if (err == nil) != want {
					t.Fatalf("err %v, want accepted=%v", err, want)
				}
				if err != nil && !errors.Is(err, ErrBody) {
					t.Fatalf("err %v, want ErrBody", err)
				}
			})
		}
	}
	t.Run("a top-level string is refused by the strict JSON parser", func(t *testing.T) {
		p, _ := presets.Get("bigmind")
		secret := signing.NewSecret(p.SecretPrefix)
		body := []byte(`"summary.completed"`)
		if err := Bigmind(secret, sign(t, p, secret, time.Now(), body), body); !errors.Is(err, ErrBody) {
			t.Fatalf("err %v, want ErrBody", err)
		}
	})
}
