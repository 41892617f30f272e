package delivery

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/netguard"
	"github.com/herald-webhooks/herald/internal/signing"
)

// request is an attempt of a small delivery to url with custom headers, one of them marked
// sensitive, and the event header.
func request(url string) Request {
	return Request{URL: url, Body: []byte(`{"id":"evt_1"}`), EventID: "evt_1", EventType: "summary.completed",
		EventHeader: "X-Convo-Event", Headers: []byte(`{"X-Custom":"yes","User-Agent":"Pocket-Test/1.0","X-Tenant":"acme"}`),
		SensitiveHeaders: []string{"x-tenant"}, Secrets: []string{signing.NewSecret("whsec_")}, TimeoutSeconds: 5,
		Trigger: herald.TriggerAuto}
}

// receiver serves h on loopback for the test.
func receiver(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func recorded(t *testing.T, out Outcome) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal(out.RequestHeaders, &m); err != nil {
		t.Fatalf("recorded headers %s: %v", out.RequestHeaders, err)
	}
	return m
}

func TestSend(t *testing.T) {
	s := &Sender{HTTP: NewHTTPClient()}
	ctx := context.Background()

	t.Run("a 2xx is delivered, signed, with custom headers and the event header", func(t *testing.T) {
		var got http.Header
		var body []byte
		srv := receiver(t, func(w http.ResponseWriter, r *http.Request) {
			got, body = r.Header.Clone(), mustRead(r.Body)
			w.WriteHeader(204)
		})
		r := request(srv.URL)
		out := s.Send(ctx, r)
		if !out.OK || out.Gone || out.StatusCode() != 204 || out.Attempt.ErrorKind != "" || out.Attempt.Trigger != herald.TriggerAuto {
			t.Fatalf("outcome %+v", out)
		}
		wh, _ := standardwebhooks.NewWebhook(r.Secrets[0])
		if err := wh.Verify(body, got); err != nil {
			t.Fatalf("verify: %v", err)
		}
		if got.Get("webhook-id") != "evt_1" || got.Get("Content-Type") != "application/json" {
			t.Fatalf("headers %v", got)
		}
		if got.Get("X-Custom") != "yes" || got.Get("User-Agent") != "Pocket-Test/1.0" || got.Get("X-Convo-Event") != "summary.completed" {
			t.Fatalf("headers %v", got)
		}
	})

	t.Run("the recorded headers redact the signature and the sensitive headers", func(t *testing.T) {
		var got http.Header
		srv := receiver(t, func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() })
		r := request(srv.URL)
		r.Headers = []byte(`{"Authorization":"Bearer tok_1","X-Tenant":"acme","X-Custom":"yes"}`)
		out := s.Send(ctx, r)
		m := recorded(t, out)
		for _, name := range []string{"Webhook-Signature", "Authorization", "X-Tenant"} {
			if m[name] != signing.Redacted {
				t.Errorf("recorded %s = %q, want it redacted", name, m[name])
			}
		}
		if m["X-Custom"] != "yes" || m["Webhook-Id"] != "evt_1" {
			t.Errorf("recorded headers %v", m)
		}
		sig := strings.TrimPrefix(got.Get("webhook-signature"), "v1,")
		if sig == "" || strings.Contains(string(out.RequestHeaders), sig) || strings.Contains(string(out.RequestHeaders), "tok_1") {
			t.Fatalf("the recorded headers hold a secret: %s", out.RequestHeaders)
		}
	})

	t.Run("an hmac-sha256 webhook is signed with its first secret and its header is redacted", func(t *testing.T) {
		var got http.Header
		var body []byte
		srv := receiver(t, func(w http.ResponseWriter, r *http.Request) { got, body = r.Header.Clone(), mustRead(r.Body) })
		r := request(srv.URL)
		r.Signing = []byte(`{"scheme":"hmac-sha256","header":"X-Hub-Signature","prefix":"sha256="}`)
		r.Secrets = []string{"wsec_new", "wsec_old"}
		out := s.Send(ctx, r)
		mac := hmac.New(sha256.New, []byte("wsec_new"))
		mac.Write(body)
		if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); got.Get("X-Hub-Signature") != want {
			t.Fatalf("signature %q, want %q", got.Get("X-Hub-Signature"), want)
		}
		if m := recorded(t, out); m["X-Hub-Signature"] != signing.Redacted {
			t.Fatalf("recorded headers %v", m)
		}
	})

	t.Run("the default User-Agent names Herald's version", func(t *testing.T) {
		var ua string
		srv := receiver(t, func(w http.ResponseWriter, r *http.Request) { ua = r.UserAgent() })
		r := request(srv.URL)
		r.Headers = nil
		s.Send(ctx, r)
		if ua != "Herald-Webhook/"+herald.Version {
			t.Fatalf("User-Agent %q", ua)
		}
		(&Sender{HTTP: NewHTTPClient(), UserAgent: "Acme-Hooks/2"}).Send(ctx, r)
		if ua != "Acme-Hooks/2" {
			t.Fatalf("User-Agent %q", ua)
		}
	})

	t.Run("a redirect is a failure and is not followed", func(t *testing.T) {
		var followed atomic.Bool
		srv := receiver(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/elsewhere" {
				followed.Store(true)
			}
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		})
		out := s.Send(ctx, request(srv.URL))
		if out.OK || out.StatusCode() != 302 || out.Attempt.ErrorKind != KindRedirect || followed.Load() {
			t.Fatalf("outcome %+v followed=%v", out.Attempt, followed.Load())
		}
	})

	t.Run("410 is gone", func(t *testing.T) {
		srv := receiver(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(410) })
		if out := s.Send(ctx, request(srv.URL)); !out.Gone || out.OK || out.Attempt.ErrorKind != KindGone {
			t.Fatalf("outcome %+v", out.Attempt)
		}
	})

	t.Run("a 503's Retry-After reaches the outcome", func(t *testing.T) {
		srv := receiver(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "42")
			w.WriteHeader(503)
		})
		out := s.Send(ctx, request(srv.URL))
		if out.OK || out.RetryAfter != 42*time.Second || out.Attempt.ErrorKind != KindHTTPStatus || out.Attempt.Error != "endpoint answered 503" {
			t.Fatalf("outcome %+v, Retry-After %v", out.Attempt, out.RetryAfter)
		}
	})

	t.Run("the response body is kept up to 16 KiB, as valid UTF-8", func(t *testing.T) {
		srv := receiver(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			_, _ = w.Write([]byte("\xff" + strings.Repeat("e", 40<<10)))
		})
		out := s.Send(ctx, request(srv.URL))
		body := out.Attempt.ResponseBody
		if !strings.HasPrefix(body, "\uFFFDeee") || len(body) != MaxResponseBody+len("\uFFFD")-1 || out.Attempt.ErrorKind != KindHTTPStatus {
			t.Fatalf("kept %d bytes (%q...), kind %q", len(body), body[:8], out.Attempt.ErrorKind)
		}
	})

	t.Run("an endpoint slower than the webhook's timeout is a timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := receiver(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		r := request(srv.URL)
		r.TimeoutSeconds = 1
		started := time.Now()
		out := s.Send(ctx, r)
		if out.Attempt.ErrorKind != KindTimeout || out.Attempt.StatusCode != nil || time.Since(started) > 5*time.Second {
			t.Fatalf("outcome %+v after %v", out.Attempt, time.Since(started))
		}
		if out.Attempt.DurationMS < 1000 {
			t.Fatalf("duration %d ms, want the timeout's second", out.Attempt.DurationMS)
		}
	})

	t.Run("a closed port is refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		out := s.Send(ctx, request("http://"+addr+"/hook"))
		if out.Attempt.ErrorKind != KindRefused || out.Attempt.StatusCode != nil || out.OK {
			t.Fatalf("outcome %+v", out.Attempt)
		}
	})

	t.Run("a connection closed without an answer is connection_reset", func(t *testing.T) {
		srv := receiver(t, func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
		if out := s.Send(ctx, request(srv.URL)); out.Attempt.ErrorKind != KindReset {
			t.Fatalf("outcome %+v", out.Attempt)
		}
	})

	t.Run("a certificate the client does not trust is tls", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors this case provokes
		srv.StartTLS()
		defer srv.Close()
		if out := s.Send(ctx, request(srv.URL)); out.Attempt.ErrorKind != KindTLS {
			t.Fatalf("outcome %+v", out.Attempt)
		}
	})

	t.Run("an address the network policy refuses is blocked, and nothing is sent", func(t *testing.T) {
		var reached atomic.Bool
		srv := receiver(t, func(w http.ResponseWriter, r *http.Request) { reached.Store(true) })
		guarded := &Sender{HTTP: NewGuardedHTTPClient(netguard.Policy{AllowHTTP: true}.Control, nil)}
		out := guarded.Send(ctx, request(srv.URL))
		if out.Attempt.ErrorKind != KindBlocked || reached.Load() || !strings.Contains(out.Attempt.Error, "loopback") {
			t.Fatalf("outcome %+v reached=%v", out.Attempt, reached.Load())
		}
		allowed := &Sender{HTTP: NewGuardedHTTPClient(netguard.Policy{AllowHTTP: true, AllowLoopback: true}.Control, nil)}
		if out := allowed.Send(ctx, request(srv.URL)); !out.OK || !reached.Load() {
			t.Fatalf("with loopback allowed: outcome %+v", out.Attempt)
		}
	})

	t.Run("a failure's error shows the URL's host, never its path or query", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		out := s.Send(ctx, request("http://user:pw@"+addr+"/hooks/tok_secret?key=k_secret"))
		if strings.Contains(out.Attempt.Error, "secret") || strings.Contains(out.Attempt.Error, "pw") || !strings.Contains(out.Attempt.Error, addr) {
			t.Fatalf("error %q", out.Attempt.Error)
		}
	})
}

func TestSendRefusesWhatItCannotBuild(t *testing.T) {
	var reached atomic.Bool
	srv := receiver(t, func(w http.ResponseWriter, r *http.Request) { reached.Store(true) })
	s := &Sender{HTTP: NewHTTPClient()}
	tests := []struct {
		name   string
		change func(*Request)
		kind   string
	}{
		{"a URL no request can be built from is invalid_url", func(r *Request) { r.URL = "http://[::1" }, KindInvalidURL},
		{"custom headers that do not decode are config", func(r *Request) { r.Headers = []byte(`["X-A"]`) }, KindConfig},
		{"signing settings that do not decode are config", func(r *Request) { r.Signing = []byte(`{`) }, KindConfig},
		{"a signed webhook without a secret is signing", func(r *Request) { r.Secrets = nil }, KindSigning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(srv.URL)
			tt.change(&r)
			out := s.Send(context.Background(), r)
			if out.OK || out.Attempt.ErrorKind != tt.kind || out.Attempt.Error == "" || out.Attempt.StatusCode != nil || reached.Load() {
				t.Fatalf("outcome %+v reached=%v", out.Attempt, reached.Load())
			}
		})
	}
}

func TestSendAfter(t *testing.T) {
	var reached atomic.Int32
	srv := receiver(t, func(w http.ResponseWriter, r *http.Request) { reached.Add(1) })
	s := &Sender{HTTP: NewHTTPClient()}

	t.Run("before gets the recorded headers and the start before the request goes out", func(t *testing.T) {
		var headers []byte
		var at time.Time
		out := s.SendAfter(context.Background(), request(srv.URL), func(h []byte, started time.Time) error {
			if reached.Load() != 0 {
				t.Error("the request went out before before")
			}
			headers, at = h, started
			return nil
		})
		if !out.OK || string(headers) != string(out.RequestHeaders) || !at.Equal(out.Attempt.StartedAt) || reached.Load() != 1 {
			t.Fatalf("outcome %+v, before saw %s at %v", out.Attempt, headers, at)
		}
	})

	t.Run("an error from before sends nothing", func(t *testing.T) {
		errLog := errors.New("database unreachable")
		out := s.SendAfter(context.Background(), request(srv.URL), func([]byte, time.Time) error { return errLog })
		if !errors.Is(out.NotSent, errLog) || out.OK || reached.Load() != 1 {
			t.Fatalf("outcome %+v, not sent %v, requests %d", out.Attempt, out.NotSent, reached.Load())
		}
	})
}

func mustRead(r io.Reader) []byte {
	b, _ := io.ReadAll(r)
	return b
}
