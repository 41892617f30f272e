package activities

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/signing"
)

func testActivities() *Activities {
	return &Activities{HTTP: NewHTTPClient(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func target(url string, timeout int) *herald.Target {
	return &herald.Target{DeliveryID: "dlv_1", EventID: "evt_1", EventType: "summary.completed", URL: url,
		Body: []byte(`{"id":"evt_1"}`), TimeoutSeconds: timeout, Secrets: []string{signing.NewSecret("whsec_")},
		Headers: []byte(`{"X-Custom":"yes","User-Agent":"Pocket-Test/1.0"}`), EventHeader: "X-Convo-Event"}
}

func TestSend(t *testing.T) {
	a := testActivities()

	t.Run("a 2xx is a success, signed, with custom headers and the event header", func(t *testing.T) {
		var got http.Header
		var body []byte
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, body = r.Header.Clone(), mustRead(r.Body)
			w.WriteHeader(204)
		}))
		defer srv.Close()
		tg := target(srv.URL, 5)
		out := a.send(context.Background(), tg, herald.TriggerAuto)
		if !out.OK || *out.Attempt.StatusCode != 204 {
			t.Fatalf("outcome %+v", out.Attempt)
		}
		wh, _ := standardwebhooks.NewWebhook(tg.Secrets[0])
		if err := wh.Verify(body, got); err != nil {
			t.Fatalf("verify: %v", err)
		}
		if got.Get("X-Custom") != "yes" || got.Get("User-Agent") != "Pocket-Test/1.0" || got.Get("X-Convo-Event") != "summary.completed" {
			t.Fatalf("headers %v", got)
		}
		if strings.Contains(string(out.RequestHeaders), strings.TrimPrefix(got.Get("webhook-signature"), "v1,")) {
			t.Fatal("the recorded request headers hold the signature")
		}
	})

	t.Run("a redirect is a failure and is not followed", func(t *testing.T) {
		followed := false
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/elsewhere" {
				followed = true
			}
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}))
		defer srv.Close()
		out := a.send(context.Background(), target(srv.URL, 5), herald.TriggerAuto)
		if out.OK || out.Attempt.ErrorKind != "redirect" || followed {
			t.Fatalf("outcome %+v followed=%v", out.Attempt, followed)
		}
	})

	t.Run("410 is gone", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(410) }))
		defer srv.Close()
		if out := a.send(context.Background(), target(srv.URL, 5), herald.TriggerAuto); !out.Gone || out.OK {
			t.Fatalf("outcome %+v", out.Attempt)
		}
	})

	t.Run("the response body is kept up to 16 KiB", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			_, _ = w.Write([]byte(strings.Repeat("e", 40<<10)))
		}))
		defer srv.Close()
		out := a.send(context.Background(), target(srv.URL, 5), herald.TriggerAuto)
		if len(out.Attempt.ResponseBody) != MaxResponseBody || out.Attempt.ErrorKind != ErrHTTPStatus {
			t.Fatalf("kept %d bytes, kind %q", len(out.Attempt.ResponseBody), out.Attempt.ErrorKind)
		}
	})

	t.Run("an endpoint slower than the webhook's timeout is a timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		started := time.Now()
		out := a.send(context.Background(), target(srv.URL, 1), herald.TriggerAuto)
		if out.Attempt.ErrorKind != "timeout" || time.Since(started) > 10*time.Second {
			t.Fatalf("outcome %+v", out.Attempt)
		}
	})

	t.Run("a closed port is refused", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		out := a.send(context.Background(), target("http://"+addr, 5), herald.TriggerAuto)
		if out.Attempt.ErrorKind != "refused" || out.Attempt.StatusCode != nil {
			t.Fatalf("outcome %+v", out.Attempt)
		}
	})
}

func TestBody(t *testing.T) {
	ev := &herald.Event{ID: "evt_1", Type: "summary.completed", UserID: "u_1",
		Timestamp: time.Date(2026, 2, 18, 12, 0, 0, 0, time.UTC),
		Data:      json.RawMessage(`{"html":"<p>a & b</p>","zero":0.0,"tiny":1e-7,"2":"index key"}`)}
	user := &herald.User{ID: "u_1", Email: "ada@example.com"}

	t.Run("the envelope is compact JavaScript-canonical JSON in the documented field order", func(t *testing.T) {
		w := &herald.Webhook{ID: "wh_1", OrganizationID: "org_1", Format: herald.FormatEnvelope}
		got, err := Body(ev, w, user)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"id":"evt_1","event":"summary.completed","timestamp":"2026-02-18T12:00:00.000Z","webhook_id":"wh_1",` +
			`"user":{"id":"u_1","email":"ada@example.com"},"organization":{"id":"org_1"},` +
			`"data":{"2":"index key","html":"<p>a & b</p>","zero":0,"tiny":1e-7}}`
		if string(got) != want {
			t.Fatalf("body\n%s\nwant\n%s", got, want)
		}
	})

	t.Run("a personal webhook's body has no organization when the event names none", func(t *testing.T) {
		got, _ := Body(ev, &herald.Webhook{ID: "wh_2", UserID: "u_1"}, nil)
		if strings.Contains(string(got), "organization") || !strings.Contains(string(got), `"user":{"id":"u_1"}`) {
			t.Fatalf("body %s", got)
		}
	})

	t.Run("the flat format puts data's fields at the top level", func(t *testing.T) {
		got, err := Body(ev, &herald.Webhook{ID: "wh_3", UserID: "u_1", Format: herald.FormatFlat}, user)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(got), `"data":`) || !strings.Contains(string(got), `"html":"<p>a & b</p>","zero":0,"tiny":1e-7}`) {
			t.Fatalf("body %s", got)
		}
	})
}

func mustRead(r io.Reader) []byte {
	b, _ := io.ReadAll(r)
	return b
}
