package signing

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// vectorBody is the body of the known vectors below. The expected values were computed outside
// Go with OpenSSL, e.g.
//
//	printf '%s' "$BODY" | openssl dgst -sha256 -hmac 'wsec_testsecret' -hex
//	printf '%s' "1771416000123.$BODY" | openssl dgst -sha256 -hmac 'pocket_secret' -hex
const vectorBody = `{"event":"transcription_created","data":{"html":"<p>Hi</p>","n":1e-7}}`

// vectorTime is 2026-02-18T12:00:00.123Z: Unix 1771416000 s, 1771416000123 ms.
var vectorTime = time.Date(2026, 2, 18, 12, 0, 0, 123_000_000, time.UTC)

func TestSignKnownVectors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     herald.Signing
		secrets []string
		want    map[string]string
	}{
		{
			name:    "hmac hex over the body uses the secret string with its prefix as the key",
			cfg:     herald.Signing{Scheme: herald.SchemeHMAC},
			secrets: []string{"wsec_testsecret"},
			want:    map[string]string{"X-Webhook-Signature": "94ed90181f2c1bc693256e038a6a8ad78ed3c63db7cdc6e9550ab310c5d9e7b0"},
		},
		{
			name:    "a prefix goes before the hex digest",
			cfg:     herald.Signing{Scheme: herald.SchemeHMAC, Prefix: "sha256="},
			secrets: []string{"wsec_testsecret"},
			want:    map[string]string{"X-Webhook-Signature": "sha256=94ed90181f2c1bc693256e038a6a8ad78ed3c63db7cdc6e9550ab310c5d9e7b0"},
		},
		{
			name:    "base64 encoding in a custom header",
			cfg:     herald.Signing{Scheme: herald.SchemeHMAC, Header: "X-Sig", Encoding: EncodingBase64},
			secrets: []string{"wsec_testsecret"},
			want:    map[string]string{"X-Sig": "lO2QGB8sG8aTJW4DimqK147Txj23zcbpVQqzEMXZ57A="},
		},
		{
			name: "timestamp.body in milliseconds, the timestamp sent in its header (Pocket)",
			cfg: herald.Signing{Scheme: herald.SchemeHMAC, Header: "X-HeyPocket-Signature", Content: ContentTimestampBody,
				TimestampHeader: "X-HeyPocket-Timestamp", TimestampUnit: UnitMilliseconds},
			secrets: []string{"pocket_secret"},
			want: map[string]string{
				"X-HeyPocket-Signature": "edbcd368e676edc1c734588b6688de94c5215515faf7bf12e96a3134d7424a7e",
				"X-HeyPocket-Timestamp": "1771416000123",
			},
		},
		{
			name: "timestamp.body in seconds",
			cfg: herald.Signing{Scheme: herald.SchemeHMAC, Content: ContentTimestampBody,
				TimestampHeader: "X-Timestamp", TimestampUnit: UnitSeconds},
			secrets: []string{"pocket_secret"},
			want: map[string]string{
				"X-Webhook-Signature": "71c118253d043be9a41a6ed1fc86360984181fc916533c960cb4838c42a59114",
				"X-Timestamp":         "1771416000",
			},
		},
		{
			name:    "hmac with two secrets signs with the first (newest) only",
			cfg:     herald.Signing{Scheme: herald.SchemeHMAC},
			secrets: []string{"wsec_testsecret", "wsec_oldsecret"},
			want:    map[string]string{"X-Webhook-Signature": "94ed90181f2c1bc693256e038a6a8ad78ed3c63db7cdc6e9550ab310c5d9e7b0"},
		},
		{
			name:    "standard: the key is the base64 after the prefix, the timestamp Unix seconds",
			cfg:     herald.Signing{Scheme: herald.SchemeStandard},
			secrets: []string{"whsec_YW4gZXhhbXBsZSBrZXkgb2YgMjQgYnkh"},
			want: map[string]string{
				HeaderID: "msg_1", HeaderTimestamp: "1771416000",
				HeaderSignature: "v1,W5ybcJxX/gl6q6ARxbaJL/sklOVUhPvi3LfumRTzg8k=",
			},
		},
		{
			name:    "an empty scheme is standard, and any xxx_ prefix works",
			cfg:     herald.Signing{},
			secrets: []string{"wsec_YW4gZXhhbXBsZSBrZXkgb2YgMjQgYnkh"},
			want: map[string]string{
				HeaderID: "msg_1", HeaderTimestamp: "1771416000",
				HeaderSignature: "v1,W5ybcJxX/gl6q6ARxbaJL/sklOVUhPvi3LfumRTzg8k=",
			},
		},
		{
			name:    "none sends no signature headers",
			cfg:     herald.Signing{Scheme: herald.SchemeNone},
			secrets: nil,
			want:    map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sign(tt.cfg, tt.secrets, "msg_1", vectorTime, []byte(vectorBody))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("headers %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     herald.Signing
		secrets []string
	}{
		{"standard without a secret", herald.Signing{}, nil},
		{"hmac without a secret", herald.Signing{Scheme: herald.SchemeHMAC}, []string{}},
		{"an empty secret", herald.Signing{Scheme: herald.SchemeHMAC}, []string{""}},
		{"a standard secret whose key is empty", herald.Signing{}, []string{"whsec_"}},
		{"a standard secret that is not base64", herald.Signing{}, []string{"whsec_not base64!"}},
		{"an unknown scheme", herald.Signing{Scheme: "md5"}, []string{"s"}},
		{"an invalid configuration", herald.Signing{Scheme: herald.SchemeHMAC, Header: "Bad Header"}, []string{"s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is an error", func(t *testing.T) {
			h, err := Sign(tt.cfg, tt.secrets, "msg_1", vectorTime, []byte(vectorBody))
			if err == nil {
				t.Fatalf("no error, headers %v", h)
			}
			for _, s := range tt.secrets {
				if len(s) > 6 && strings.Contains(err.Error(), s[6:]) {
					t.Fatalf("error %q shows the secret", err)
				}
			}
		})
	}
}

func TestSignStandardVerifiesWithTheOfficialLibrary(t *testing.T) {
	body := []byte(`{"id":"evt_1","event":"summary.completed","data":{"html":"<p>a & b</p>"}}`)
	newS, oldS := NewSecret("whsec_"), NewSecret("whsec_")
	at := time.Now()
	h, err := Sign(herald.Signing{Scheme: herald.SchemeStandard}, []string{newS, oldS}, "evt_1", at, body)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("during a rotation both secrets sign, space-separated, and each verifies", func(t *testing.T) {
		if sigs := strings.Split(h[HeaderSignature], " "); len(sigs) != 2 || sigs[0] == sigs[1] {
			t.Fatalf("signatures %q, want two different ones", h[HeaderSignature])
		}
		for _, s := range []string{newS, oldS} {
			wh, err := standardwebhooks.NewWebhook(s)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify(body, header(h)); err != nil {
				t.Errorf("verify with %s: %v", Hint(s), err)
			}
		}
	})

	t.Run("a third secret does not verify", func(t *testing.T) {
		wh, _ := standardwebhooks.NewWebhook(NewSecret("whsec_"))
		if err := wh.Verify(body, header(h)); err == nil {
			t.Fatal("verified with a secret that did not sign")
		}
	})

	t.Run("a tampered body does not verify", func(t *testing.T) {
		wh, _ := standardwebhooks.NewWebhook(newS)
		tampered := []byte(strings.Replace(string(body), "a & b", "a & c", 1))
		if err := wh.Verify(tampered, header(h)); err == nil {
			t.Fatal("tampered body verified")
		}
	})

	t.Run("a signature from an hour ago is refused by the library's tolerance", func(t *testing.T) {
		old, _ := Sign(herald.Signing{}, []string{newS}, "evt_1", at.Add(-time.Hour), body)
		wh, _ := standardwebhooks.NewWebhook(newS)
		if err := wh.Verify(body, header(old)); err == nil {
			t.Fatal("stale timestamp verified")
		}
	})

	t.Run("a secret with another prefix verifies with its decoded key", func(t *testing.T) {
		s := NewSecret("wsec_")
		h, err := Sign(herald.Signing{}, []string{s}, "evt_1", at, body)
		if err != nil {
			t.Fatal(err)
		}
		key, _ := standardKey(s)
		wh, _ := standardwebhooks.NewWebhookRaw(key)
		if err := wh.Verify(body, header(h)); err != nil {
			t.Fatalf("verify: %v", err)
		}
	})
}

func TestSignUsesTheAttemptTime(t *testing.T) {
	cfg := herald.Signing{Scheme: herald.SchemeHMAC, Content: ContentTimestampBody, TimestampHeader: "X-Ts", TimestampUnit: UnitMilliseconds}
	a, _ := Sign(cfg, []string{"k"}, "m", vectorTime, []byte(vectorBody))
	b, _ := Sign(cfg, []string{"k"}, "m", vectorTime.Add(time.Millisecond), []byte(vectorBody))
	if a["X-Ts"] == b["X-Ts"] || a["X-Webhook-Signature"] == b["X-Webhook-Signature"] {
		t.Fatalf("two attempts 1 ms apart got the same timestamp or signature: %v %v", a, b)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   herald.Signing
		want herald.Signing
	}{
		{"an empty scheme becomes standard", herald.Signing{}, herald.Signing{Scheme: herald.SchemeStandard}},
		{"none stays none", herald.Signing{Scheme: herald.SchemeNone}, herald.Signing{Scheme: herald.SchemeNone}},
		{
			"hmac gets header, hex, body and seconds",
			herald.Signing{Scheme: herald.SchemeHMAC},
			herald.Signing{Scheme: herald.SchemeHMAC, Header: DefaultHMACHeader, Encoding: EncodingHex, Content: ContentBody, TimestampUnit: UnitSeconds},
		},
		{
			"hmac keeps what is set",
			herald.Signing{Scheme: herald.SchemeHMAC, Header: "X-A", Prefix: "sha256=", Encoding: EncodingBase64, Content: ContentTimestampBody, TimestampHeader: "X-T", TimestampUnit: UnitMilliseconds},
			herald.Signing{Scheme: herald.SchemeHMAC, Header: "X-A", Prefix: "sha256=", Encoding: EncodingBase64, Content: ContentTimestampBody, TimestampHeader: "X-T", TimestampUnit: UnitMilliseconds},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			if got != tt.want {
				t.Fatalf("Normalize = %+v, want %+v", got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Fatalf("Normalize is not idempotent: %+v", again)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	hmacCfg := func(f func(*herald.Signing)) herald.Signing {
		c := herald.Signing{Scheme: herald.SchemeHMAC}
		f(&c)
		return c
	}
	tests := []struct {
		name   string
		cfg    herald.Signing
		fields []string // the failing fields, in order; none when valid
	}{
		{"an empty configuration is valid", herald.Signing{}, nil},
		{"standard is valid", herald.Signing{Scheme: herald.SchemeStandard}, nil},
		{"none is valid", herald.Signing{Scheme: herald.SchemeNone}, nil},
		{"hmac with defaults is valid", herald.Signing{Scheme: herald.SchemeHMAC}, nil},
		{"a normalized hmac configuration is valid", Normalize(herald.Signing{Scheme: herald.SchemeHMAC}), nil},
		{"an unknown scheme is refused", herald.Signing{Scheme: "HMAC-SHA256"}, []string{"signing.scheme"}},
		{"hmac fields on standard are refused", herald.Signing{Scheme: herald.SchemeStandard, Header: "X-A", Prefix: "p"}, []string{"signing.header", "signing.prefix"}},
		{"hmac fields on none are refused", herald.Signing{Scheme: herald.SchemeNone, TimestampUnit: "s"}, []string{"signing.timestamp_unit"}},
		{"a header with a space is refused", hmacCfg(func(c *herald.Signing) { c.Header = "X Sig" }), []string{"signing.header"}},
		{"a header with a colon is refused", hmacCfg(func(c *herald.Signing) { c.Header = "X-Sig:" }), []string{"signing.header"}},
		{"a header of 101 characters is refused", hmacCfg(func(c *herald.Signing) { c.Header = strings.Repeat("x", 101) }), []string{"signing.header"}},
		{"Content-Type as header is refused", hmacCfg(func(c *herald.Signing) { c.Header = "content-type" }), []string{"signing.header"}},
		{"Content-Length as header is refused", hmacCfg(func(c *herald.Signing) { c.Header = "Content-Length" }), []string{"signing.header"}},
		{"Host as header is refused", hmacCfg(func(c *herald.Signing) { c.Header = "HOST" }), []string{"signing.header"}},
		{"webhook-signature as header is refused", hmacCfg(func(c *herald.Signing) { c.Header = "Webhook-Signature" }), []string{"signing.header"}},
		{"webhook-id as header is refused", hmacCfg(func(c *herald.Signing) { c.Header = "webhook-id" }), []string{"signing.header"}},
		{"webhook-timestamp as timestamp header is refused", hmacCfg(func(c *herald.Signing) { c.TimestampHeader = "webhook-timestamp" }), []string{"signing.timestamp_header"}},
		{"a prefix of 32 characters is valid", hmacCfg(func(c *herald.Signing) { c.Prefix = strings.Repeat("a", 32) }), nil},
		{"a prefix of 33 characters is refused", hmacCfg(func(c *herald.Signing) { c.Prefix = strings.Repeat("a", 33) }), []string{"signing.prefix"}},
		{"a prefix with a newline is refused", hmacCfg(func(c *herald.Signing) { c.Prefix = "sha256=\r\nX-Evil: 1" }), []string{"signing.prefix"}},
		{"a prefix with non-ASCII is refused", hmacCfg(func(c *herald.Signing) { c.Prefix = "sé=" }), []string{"signing.prefix"}},
		{"a prefix starting with a space is refused", hmacCfg(func(c *herald.Signing) { c.Prefix = " v1=" }), []string{"signing.prefix"}},
		{"a prefix with an inner space is valid", hmacCfg(func(c *herald.Signing) { c.Prefix = "HMAC v1=" }), nil},
		{"an unknown encoding is refused", hmacCfg(func(c *herald.Signing) { c.Encoding = "base32" }), []string{"signing.encoding"}},
		{"an unknown content is refused", hmacCfg(func(c *herald.Signing) { c.Content = "body.timestamp" }), []string{"signing.content"}},
		{"an unknown unit is refused", hmacCfg(func(c *herald.Signing) { c.TimestampUnit = "us" }), []string{"signing.timestamp_unit"}},
		{"timestamp.body without a timestamp header is refused", hmacCfg(func(c *herald.Signing) { c.Content = ContentTimestampBody }), []string{"signing.timestamp_header"}},
		{"a timestamp header with content body is valid", hmacCfg(func(c *herald.Signing) { c.TimestampHeader = "X-Ts" }), nil},
		{"a timestamp header equal to the signature header is refused", hmacCfg(func(c *herald.Signing) { c.TimestampHeader = "x-webhook-signature" }), []string{"signing.timestamp_header"}},
		{"an invalid timestamp header is refused", hmacCfg(func(c *herald.Signing) { c.TimestampHeader = "X Ts" }), []string{"signing.timestamp_header"}},
		{
			"every bad field is reported",
			herald.Signing{Scheme: herald.SchemeHMAC, Header: "a b", Prefix: "\x00", Encoding: "x", Content: "x", TimestampUnit: "x", TimestampHeader: "a b"},
			[]string{"signing.header", "signing.prefix", "signing.encoding", "signing.content", "signing.timestamp_unit", "signing.timestamp_header"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Validate(tt.cfg, "signing.")
			var got []string
			for _, e := range d {
				if e.Message == "" {
					t.Errorf("%s has no message", e.Field)
				}
				got = append(got, e.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("failing fields %v, want %v (%v)", got, tt.fields, d)
			}
			if len(d) == 0 {
				if d := Validate(Normalize(tt.cfg), "signing."); len(d) > 0 {
					t.Fatalf("valid before Normalize, invalid after: %v", d)
				}
				if _, err := Sign(tt.cfg, []string{NewSecret("whsec_")}, "m", vectorTime, nil); err != nil {
					t.Fatalf("valid but Sign fails: %v", err)
				}
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name     string
		cfg      herald.Signing
		redacted []string
		kept     []string
	}{
		{"standard redacts webhook-signature, and any header named a signature", herald.Signing{}, []string{HeaderSignature, "X-Webhook-Signature"}, []string{HeaderID, HeaderTimestamp, "X-Ts"}},
		{"hmac redacts the default header", herald.Signing{Scheme: herald.SchemeHMAC}, []string{"X-Webhook-Signature", HeaderSignature}, []string{"X-Ts"}},
		{"hmac redacts a custom header in any case", herald.Signing{Scheme: herald.SchemeHMAC, Header: "x-heypocket-signature", TimestampHeader: "X-Ts"}, []string{"X-HeyPocket-Signature"}, []string{"X-Ts", HeaderID}},
		{"none still redacts webhook-signature", herald.Signing{Scheme: herald.SchemeNone}, []string{HeaderSignature, "X-Webhook-Signature"}, []string{HeaderTimestamp}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, k := range []string{HeaderID, HeaderTimestamp, HeaderSignature, "X-Webhook-Signature", "X-HeyPocket-Signature", "X-Ts"} {
				h.Set(k, "value-of-"+k)
			}
			out := Redact(tt.cfg, h)
			for _, k := range tt.redacted {
				if out.Get(k) != Redacted {
					t.Errorf("%s = %q, want redacted", k, out.Get(k))
				}
			}
			for _, k := range tt.kept {
				if out.Get(k) != "value-of-"+k {
					t.Errorf("%s = %q, want kept", k, out.Get(k))
				}
			}
			if h.Get(HeaderSignature) != "value-of-"+HeaderSignature {
				t.Error("Redact changed its input")
			}
		})
	}
	t.Run("a header that is absent is not added", func(t *testing.T) {
		out := Redact(herald.Signing{Scheme: herald.SchemeHMAC}, http.Header{"Accept": {"*/*"}})
		if _, ok := out["X-Webhook-Signature"]; ok || len(out) != 1 {
			t.Fatalf("headers %v", out)
		}
	})
}

func TestRedactHidesCredentialHeaders(t *testing.T) {
	h := http.Header{}
	credentials := []string{"Authorization", "Cookie", "Proxy-Authorization", "X-Api-Key", "X-Auth-Token",
		"x-client-secret", "X-Password", "X-Request-Signature"}
	plain := []string{"X-Team", "User-Agent", "Content-Type", "X-Convo-Event"}
	for _, k := range append(append([]string{}, credentials...), plain...) {
		h.Set(k, "value-of-"+k)
	}
	out := Redact(herald.Signing{}, h)
	for _, k := range credentials {
		if !CredentialHeader(k) || out.Get(k) != Redacted {
			t.Errorf("%s = %q, want redacted", k, out.Get(k))
		}
	}
	for _, k := range plain {
		if CredentialHeader(k) || out.Get(k) != "value-of-"+k {
			t.Errorf("%s = %q, want kept", k, out.Get(k))
		}
	}
}
