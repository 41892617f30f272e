package api_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/api/enums/v1"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/proto"

	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/temporalclient"
	"github.com/herald-webhooks/herald/internal/wire"
	"github.com/herald-webhooks/herald/worker"
)

// syncBuffer is a log sink the worker's goroutines can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startLoggedWorker replaces the env's worker with one whose activities and Temporal client
// (the SDK's own error logs) write to the returned buffer, at debug level.
func (e *env) startLoggedWorker() (*syncBuffer, *slog.Logger) {
	e.t.Helper()
	e.worker.Stop()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := temporalclient.Dial(context.Background(), stack.TemporalAddress, stack.Namespace, logger)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Close)
	acts := &activities.Activities{Store: e.store, HTTP: activities.NewHTTPClient(), Logger: logger, Temporal: c}
	w := worker.NewOnQueue(c, e.queue, acts, sdkworker.Options{})
	if err := w.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.worker = w
	e.t.Cleanup(w.Stop)
	return logs, logger
}

// history is the delivery workflow's history, every event in its wire form: payloads (the
// failed attempt's details, signals) are raw JSON in it, failure messages raw text.
func history(t *testing.T, workflowID string) []byte {
	t.Helper()
	it := stack.Client.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var all []byte
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		b, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// TestWebhookURLTokensReachNoLogHistoryOrAttempt: receivers put tokens in the URL's path,
// query and user info. When the receiver cannot be reached (refused, timed out), the attempt's
// error names the host only, in the attempt log, the test send's answer, the delivery
// workflow's Temporal history and the worker's logs.
func TestWebhookURLTokensReachNoLogHistoryOrAttempt(t *testing.T) {
	e := newEnv(t)
	e.directory()
	logs, _ := e.startLoggedWorker()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there: connection refused
	// A receiver that never answers; the server does not notice the client giving up (it does
	// not read the connection while the handler runs), so the test's end releases it.
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })

	tokens := []string{"pathtoken1", "querytoken1", "pathtoken2", "querytoken2"}
	retry := map[string]any{"max_attempts": 2, "initial_interval_seconds": 0.1, "max_interval_seconds": 0.1}
	refused := e.createWebhook("/users/u_1", "http://"+closed+"/hooks/pathtoken1?token=querytoken1",
		[]string{"summary.completed"}, map[string]any{"retry": retry})
	timedOut := e.createWebhook("/users/u_1", hang.URL+"/in/pathtoken2?access_token=querytoken2",
		[]string{"summary.completed"}, map[string]any{"retry": retry, "timeout_seconds": 1})

	evt := e.ev("evt_tokens")
	e.mustDo(202, "POST", "/events", map[string]any{"id": evt, "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}, nil)
	ds := e.waitDeliveries(evt, 2)

	leaks := func(where string, text []byte) {
		t.Helper()
		for _, tok := range tokens {
			if bytes.Contains(text, []byte(tok)) {
				t.Errorf("%s holds %q:\n%s", where, tok, text)
			}
		}
	}
	for _, d := range ds {
		if d.Status != "failed" || d.Attempts != 2 {
			t.Fatalf("delivery %+v, want failed after 2 attempts", d)
		}
		var raw []byte
		e.mustDo(200, "GET", "/deliveries/"+d.ID, nil, (*rawJSON)(&raw))
		leaks("GET /deliveries/"+d.ID, raw)
		if !bytes.Contains(raw, []byte(`"error":"Post \"http://127.0.0.1:`)) {
			t.Errorf("the attempt error no longer names the host: %s", raw)
		}
		e.mustDo(200, "GET", "/webhooks/"+d.WebhookID+"/deliveries", nil, (*rawJSON)(&raw))
		leaks("GET /webhooks/{id}/deliveries", raw)

		h := history(t, wire.DeliveryWorkflowID(evt, d.WebhookID))
		if !bytes.Contains(h, []byte("http://127.0.0.1:")) {
			t.Errorf("the history of %s has no attempt error (is this the right workflow?)", d.WebhookID)
		}
		leaks("the Temporal history of "+d.WebhookID, h)
	}
	var stored []string
	if err := e.store.DB().Select(&stored, `SELECT error FROM attempts`); err != nil {
		t.Fatal(err)
	}
	leaks("the attempts table", []byte(strings.Join(stored, "\n")))

	for _, w := range []webhook{refused, timedOut} {
		var raw []byte
		e.mustDo(200, "POST", "/webhooks/"+w.ID+"/test", nil, (*rawJSON)(&raw))
		leaks("the test send's answer", raw)
	}
	if !strings.Contains(logs.String(), "attempt failed") {
		t.Fatalf("the worker logged no failed attempt; logs:\n%s", logs)
	}
	leaks("the worker's logs", []byte(logs.String()))
}

// rawJSON keeps an answer's bytes as they came.
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error { *r = append((*r)[:0], b...); return nil }

// TestCredentialHeadersAreSentButRedactedInTheAttemptLog: a receiver's Authorization (or any
// header named for a key, token, secret, signature or password) reaches the receiver as it
// was set, and the attempt log records it as (redacted).
func TestCredentialHeadersAreSentButRedactedInTheAttemptLog(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	headers := map[string]any{"Authorization": "Bearer receivertoken1", "X-Api-Key": "receiverkey1", "X-Team": "core"}
	w := e.createWebhook("/users/u_1", r.register("/auth", ""), []string{"summary.completed"}, map[string]any{"headers": headers})
	evt := e.ev("evt_auth")
	e.mustDo(202, "POST", "/events", map[string]any{"id": evt, "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}, nil)
	if ds := e.waitDeliveries(evt, 1); ds[0].Status != "succeeded" {
		t.Fatalf("delivery %+v", ds[0])
	}
	got := r.requests("/auth")[0].Header
	if got.Get("Authorization") != "Bearer receivertoken1" || got.Get("X-Api-Key") != "receiverkey1" || got.Get("X-Team") != "core" {
		t.Fatalf("the receiver got %v", got)
	}
	var recorded []byte
	if err := e.store.DB().Get(&recorded, `SELECT a.request_headers FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
		WHERE d.webhook_id = $1`, w.ID); err != nil {
		t.Fatal(err)
	}
	var h map[string]string
	if err := json.Unmarshal(recorded, &h); err != nil {
		t.Fatal(err)
	}
	if h["Authorization"] != "(redacted)" || h["X-Api-Key"] != "(redacted)" || h["X-Team"] != "core" {
		t.Fatalf("recorded request headers %v", h)
	}
}

// TestCredentialHeaderValuesAreSealedAtRestAndMaskedOnRead: a receiver's Authorization and a
// header the user marked sensitive are in no API answer and not in the database in clear, yet
// the receiver gets their real values on every attempt, also after a PATCH that omits headers,
// a PATCH and a PUT that send the mask back, and for a row stored before sealing existed.
func TestCredentialHeaderValuesAreSealedAtRestAndMaskedOnRead(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	url := r.register("/sealed", "")
	headers := map[string]any{"Authorization": "Bearer plainbearer77", "X-Tenant-Ref": "tenantref77", "X-Team": "core"}
	var created rawJSON
	e.mustDo(201, "POST", "/users/u_1/webhooks", map[string]any{"url": url, "events": []string{"summary.completed"},
		"active": true, "headers": headers, "sensitive_headers": []string{"x-tenant-ref"}}, &created)
	var w fullWebhook
	if err := json.Unmarshal(created, &w); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"plainbearer77", "tenantref77"}
	masked := func(what string, raw []byte) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(string(raw), s) {
				t.Fatalf("%s shows a sensitive header value: %s", what, raw)
			}
		}
		if !strings.Contains(string(raw), `"X-Team":"core"`) || !strings.Contains(string(raw), `"Authorization":"****"`) ||
			!strings.Contains(string(raw), `"X-Tenant-Ref":"****"`) {
			t.Fatalf("%s does not show the headers masked and the plain one visible: %s", what, raw)
		}
	}
	masked("the create answer", created)
	publish := func(id string) {
		t.Helper()
		evt := e.ev(id)
		e.mustDo(202, "POST", "/events", map[string]any{"id": evt, "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}, nil)
		if ds := e.waitDeliveries(evt, 1); ds[0].Status != "succeeded" {
			t.Fatalf("delivery %+v", ds[0])
		}
		reqs := r.requests("/sealed")
		got := reqs[len(reqs)-1].Header
		if got.Get("Authorization") != "Bearer plainbearer77" || got.Get("X-Tenant-Ref") != "tenantref77" || got.Get("X-Team") != "core" {
			t.Fatalf("after %s the receiver got %v", id, got)
		}
	}
	reads := func(when string) {
		t.Helper()
		var got, list rawJSON
		e.mustDo(200, "GET", "/users/u_1/webhooks/"+w.ID, nil, &got)
		masked(when+", get", got)
		e.mustDo(200, "GET", "/users/u_1/webhooks", nil, &list)
		masked(when+", list", list)
	}
	dump := func(when string) {
		t.Helper()
		out, err := exec.Command(pgDump(t), "--no-owner", stack.Postgres.URL(e.name)).Output()
		if err != nil {
			t.Fatalf("pg_dump: %v", err)
		}
		if !strings.Contains(string(out), w.ID) {
			t.Fatal("the dump does not hold the webhook: it proves nothing")
		}
		for _, s := range secrets {
			if strings.Contains(string(out), s) || strings.Contains(string(out), hex.EncodeToString([]byte(s))) {
				t.Fatalf("%s, the dump contains a sensitive header value", when)
			}
		}
	}
	publish("evt_sealed_1")
	reads("after create")

	var patched rawJSON
	e.mustDo(200, "PATCH", "/users/u_1/webhooks/"+w.ID, map[string]any{"name": "renamed"}, &patched)
	masked("a PATCH answer without headers", patched)
	publish("evt_sealed_2")

	e.mustDo(200, "PATCH", "/users/u_1/webhooks/"+w.ID, map[string]any{"headers": map[string]any{"Authorization": "****", "X-Tenant-Ref": "****"}}, &patched)
	masked("a PATCH answer echoing the mask", patched)
	publish("evt_sealed_3")

	var current map[string]any
	e.mustDo(200, "GET", "/users/u_1/webhooks/"+w.ID, nil, &current)
	put := map[string]any{}
	for _, k := range []string{"name", "url", "events", "headers", "sensitive_headers"} {
		put[k] = current[k]
	}
	var replaced rawJSON
	e.mustDo(200, "PUT", "/users/u_1/webhooks/"+w.ID, put, &replaced)
	masked("a PUT answer echoing the read", replaced)
	publish("evt_sealed_4")
	reads("after the edits")
	dump("after the edits")

	t.Run("a row stored before sealing keeps working and is sealed at its next write", func(t *testing.T) {
		if _, err := e.store.DB().Exec(`UPDATE webhooks SET headers = $2, sealed_headers = NULL WHERE id = $1`, w.ID,
			`{"Authorization":"Bearer plainbearer77","X-Tenant-Ref":"tenantref77","X-Team":"core"}`); err != nil {
			t.Fatal(err)
		}
		reads("for a plaintext row")
		publish("evt_sealed_5")
		e.mustDo(200, "PATCH", "/users/u_1/webhooks/"+w.ID, map[string]any{"description": "sealed now"}, nil)
		publish("evt_sealed_6")
		dump("after a write of the plaintext row")
	})
}
