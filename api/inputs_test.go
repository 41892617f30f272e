package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	sdkworker "go.temporal.io/sdk/worker"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/temporalclient"
	"github.com/herald-webhooks/herald/starter"
	"github.com/herald-webhooks/herald/worker"
)

// logRecords is a slog handler that keeps every record, for tests that assert what is logged.
type logRecords struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

// find returns the records at level whose message is msg, as "msg key=value ..." lines.
func (l *logRecords) find(level slog.Level, msg string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		if r.Level != level || (msg != "" && r.Message != msg) {
			continue
		}
		line := r.Message
		r.Attrs(func(a slog.Attr) bool { line += " " + a.Key + "=" + a.Value.String(); return true })
		out = append(out, line)
	}
	return out
}

// refusal is an error answer.
type refusal struct {
	Error struct {
		Code    string               `json:"code"`
		Message string               `json:"message"`
		Details []herald.ErrorDetail `json:"details"`
	} `json:"error"`
}

// names reports whether a detail names field.
func (a refusal) names(field string) bool {
	for _, d := range a.Error.Details {
		if d.Field == field {
			return true
		}
	}
	return false
}

// TestIdsTemporalCannotCarryAreRefusedBeforeAnythingIsStored publishes events whose ids the
// Temporal SDK cannot put in its gRPC header (non-ASCII, control characters): each is a 422
// naming the field, and nothing is stored. Before, each was stored and answered 503 forever.
func TestIdsTemporalCannotCarryAreRefusedBeforeAnythingIsStored(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.directory()
	for _, id := range []string{"evt_ü", "evt_😀", "evt\u2028x", "evt\u00a0x", "evt\x01x", "evt\x7fx", "evt_ñ"} {
		var out refusal
		body := map[string]any{"id": id, "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}
		if code := e.do("POST", "/events", body, &out); code != 422 || !out.names("id") {
			t.Errorf("publish id %q = %d %+v, want 422 naming id", id, code, out)
		}
		if _, err := e.store.Event(ctx, id); herald.ErrorCode(err) != herald.ENotFound {
			t.Errorf("id %q: event stored (lookup: %v)", id, err)
		}
	}

	t.Run("a non-ASCII Idempotency-Key is refused naming the header", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.api.URL+"/api/v1/events",
			strings.NewReader(`{"event":"summary.completed","user_id":"u_1","data":{}}`))
		req.Header.Set("Authorization", "Bearer "+adminKey)
		req.Header.Set("Idempotency-Key", "evt_ñ")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out refusal
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != 422 || !out.names("Idempotency-Key") {
			t.Fatalf("publish = %d %+v, want 422 naming Idempotency-Key", resp.StatusCode, out)
		}
	})

	t.Run("the Go starter applies the same rule to every id", func(t *testing.T) {
		p := &starter.Publisher{Store: e.store, Temporal: stack.Client, TaskQueue: e.queue}
		for _, in := range []starter.Event{
			{ID: "evt_ñ", Type: "summary.completed", UserID: "u_1", Data: json.RawMessage(`{}`)},
			{Type: "summary.completed", UserID: "u_ñ", Data: json.RawMessage(`{}`)},
			{Type: "summary.completed", OrganizationID: "org\x00", Data: json.RawMessage(`{}`)},
			{Type: "summary\u2028completed", UserID: "u_1", Data: json.RawMessage(`{}`)},
		} {
			if _, err := p.Publish(ctx, in); herald.ErrorCode(err) != herald.EInvalid {
				t.Errorf("Publish(%+v) = %v, want a validation error", in, err)
			}
		}
	})

	t.Run("directory ids follow the same rule", func(t *testing.T) {
		for _, path := range []string{"/users/" + url.PathEscape("u_ü"), "/organizations/" + url.PathEscape("org\u00a0x")} {
			var out refusal
			if code := e.do("PUT", path, map[string]any{"name": "x"}, &out); code != 422 || !out.names("id") {
				t.Errorf("PUT %s = %d %+v, want 422 naming id", path, code, out)
			}
		}
	})
}

// TestTemporalRefusalsAreNotReportedAsRetryable has the real Temporal server refuse a start
// (a task queue name over its length limit): the publish answers 500 internal, not a 503 that
// tells the publisher to try again for ever, and the cause is logged at ERROR. Temporal down
// stays a 503 (TestTemporalDownIsA503AndPublishingAgainCompletesTheEvent).
func TestTemporalRefusalsAreNotReportedAsRetryable(t *testing.T) {
	e := newEnv(t)
	e.directory()
	logs := &logRecords{}
	bad := strings.Repeat("q", 2000)
	srv := &api.Server{Store: e.store, Temporal: stack.Client, Logger: slog.New(logs),
		Publisher: &starter.Publisher{Store: e.store, Temporal: stack.Client, TaskQueue: bad}}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	healthy := e.api
	e.api = ts
	defer func() { e.api = healthy }()

	var out refusal
	body := map[string]any{"id": e.ev("evt_refused"), "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}
	if code := e.do("POST", "/events", body, &out); code != 500 || out.Error.Code != herald.EInternal {
		t.Fatalf("publish refused by Temporal = %d %+v, want 500 internal", code, out)
	}
	errs := logs.find(slog.LevelError, "request failed")
	if len(errs) != 1 || !strings.Contains(errs[0], "InvalidArgument") && !strings.Contains(strings.ToLower(errs[0]), "exceeds") {
		t.Fatalf("ERROR log = %q, want the publish logged with Temporal's cause", errs)
	}
}

// TestFailedAttemptsAreNotLoggedAsErrorsByTheSDK delivers to a receiver that answers 500: an
// expected endpoint failure, recorded in the attempt log. The Temporal SDK logs a failed
// activity at ERROR unless its error is benign; the worker must not cry wolf on every attempt.
func TestFailedAttemptsAreNotLoggedAsErrorsByTheSDK(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.directory()
	e.worker.Stop()
	logs := &logRecords{}
	c, err := temporalclient.Dial(ctx, stack.TemporalAddress, "default", slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	acts := &activities.Activities{Store: e.store, HTTP: activities.NewHTTPClient(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Temporal: c}
	w := worker.NewOnQueue(c, e.queue, acts, sdkworker.Options{})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	r := newCapture(t)
	r.answer = func(string) (int, string) { return 500, "down" }
	e.createWebhook("/users/u_1", r.URL+"/down", []string{"summary.completed"}, map[string]any{
		"retry": map[string]any{"max_attempts": 2, "initial_interval_seconds": 0.1, "max_interval_seconds": 0.1}})
	id := e.ev("evt_benign")
	e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}, nil)
	if d := e.waitDeliveries(id, 1)[0]; d.Status != "failed" || d.Attempts != 2 {
		t.Fatalf("delivery %+v, want failed after 2 attempts", d)
	}
	if errs := logs.find(slog.LevelError, ""); len(errs) > 0 {
		t.Fatalf("the SDK logged expected endpoint failures at ERROR: %q", errs)
	}
}

// rawDo sends body bytes as they are (no JSON encoding) with the admin key.
func (e *env) rawDo(method, path string, body string) (int, refusal) {
	e.t.Helper()
	var out refusal
	code := e.do(method, path, []byte(body), &out)
	return code, out
}

// TestNULAndInvalidUTF8AreRefusedNamingTheField sends text PostgreSQL cannot store, in bodies,
// path parameters and queries: each is a 4xx naming where it was, never a 500, and nothing is
// stored. Before, a NUL reached PostgreSQL (500, logged at ERROR) and invalid UTF-8 in a body
// was stored as U+FFFD.
func TestNULAndInvalidUTF8AreRefusedNamingTheField(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.directory()
	w := e.createWebhook("/users/u_1", "http://127.0.0.1:1/x", []string{"summary.completed"}, nil)
	for _, tc := range []struct {
		method, path, body string
		code               int
		field              string
	}{
		{"PUT", "/users/u_1", `{"name":"a\u0000b"}`, 422, "name"},
		{"PUT", "/users/u_1", "{\"name\":\"Ada \xff\"}", 400, "name"},
		{"PUT", "/organizations/org_1", "{\"name\":\"\xc3\x28\"}", 400, "name"},
		{"PATCH", "/users/u_1/webhooks/" + w.ID, `{"name":"a\u0000"}`, 422, "name"},
		{"PATCH", "/users/u_1/webhooks/" + w.ID, "{\"description\":\"\xff\"}", 400, "description"},
		{"PUT", "/users/u_1/webhooks/" + w.ID, `{"url":"http://127.0.0.1:1/x","headers":{"X-A":"a\u0000"}}`, 422, "headers.X-A"},
		{"POST", "/events", `{"id":"evt_nul\u0000","event":"summary.completed","user_id":"u_1","data":{}}`, 422, "id"},
		{"POST", "/events", "{\"event\":\"summary.completed\",\"user_id\":\"u_1\",\"data\":{\"t\":\"\xff\"}}", 400, "data.t"},
		{"GET", "/users/a%00b/tokens", "", 400, "id"},
		{"GET", "/users/a%FFb/webhooks", "", 400, "id"},
		{"GET", "/events/evt%00", "", 400, "id"},
		{"DELETE", "/users/u_1/tokens/tok%00", "", 400, "tokenId"},
		{"GET", "/users/u_1/webhooks?cursor=%00", "", 400, "cursor"},
		{"GET", "/webhooks/" + w.ID + "/deliveries?cursor=a%FF", "", 400, "cursor"},
		{"GET", "/webhooks/" + w.ID + "/deliveries?cursor=%zz", "", 400, "query"},
	} {
		code, out := e.rawDo(tc.method, tc.path, tc.body)
		if code != tc.code || !out.names(tc.field) {
			t.Errorf("%s %s %q = %d %+v, want %d naming %s", tc.method, tc.path, tc.body, code, out, tc.code, tc.field)
		}
	}
	var u struct{ Name string }
	if err := e.store.DB().GetContext(ctx, &u, `SELECT name FROM users WHERE id = 'u_1'`); err != nil || u.Name != "Ada" {
		t.Errorf("user u_1 name %q (%v), want Ada unchanged", u.Name, err)
	}
}

// TestUnknownFieldsAndWrongShapesAreRefused sends bodies with members no field takes and
// bodies that are not objects: 422 naming each, and nothing changes. Before, they were
// silently ignored (a typo stored an empty email, a null body created an empty user).
func TestUnknownFieldsAndWrongShapesAreRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.directory()
	w := e.createWebhook("/users/u_1", "http://127.0.0.1:1/x", []string{"summary.completed"}, nil)
	for _, tc := range []struct {
		method, path, body string
		field, message     string
	}{
		{"PUT", "/users/u_1", `{"emial":"x@example.com"}`, "emial", "unknown field"},
		{"PUT", "/users/u_new", `null`, "body", "must be a JSON object"},
		{"PUT", "/users/u_new", `[]`, "body", "must be a JSON object"},
		{"PUT", "/users/u_new", `"u"`, "body", "must be a JSON object"},
		{"PUT", "/organizations/org_1/members/u_2", `{"role":"member","rol":"x"}`, "rol", "unknown field"},
		{"PUT", "/event-types/summary.completed", `{"group":"Processing","grup":"x"}`, "grup", "unknown field"},
		{"PATCH", "/users/u_1/webhooks/" + w.ID, `{"status":"disabled"}`, "status", "activate"},
		{"PATCH", "/users/u_1/webhooks/" + w.ID, `{"retry":{"foo":1}}`, "retry.foo", "unknown field"},
		{"PATCH", "/users/u_1/webhooks/" + w.ID, `{"signing":{"scheme":"standard","sheme":"x"}}`, "signing.sheme", "unknown field"},
		{"PUT", "/users/u_1/webhooks/" + w.ID, `{"url":"http://127.0.0.1:1/x","retry":{"foo":1}}`, "retry.foo", "unknown field"},
		{"PUT", "/users/u_1/webhooks/" + w.ID, `{"url":"http://127.0.0.1:1/x","status":"active"}`, "status", "activate"},
		{"POST", "/users/u_1/webhooks", `{"url":"http://127.0.0.1:1/y","evnets":["*"]}`, "evnets", "unknown field"},
		{"PATCH", "/users/u_1/webhooks/" + w.ID, `null`, "body", "must be a JSON object"},
		{"POST", "/events", `{"event":"summary.completed","user_id":"u_1","data":{},"user":"u_1"}`, "user", "unknown field"},
		{"POST", "/webhooks/" + w.ID + "/rotate-secret", `{"grace":0}`, "grace", "unknown field"},
		{"POST", "/webhooks/" + w.ID + "/replay", `{"statuses":["failed"]}`, "statuses", "unknown field"},
		{"POST", "/webhooks/" + w.ID + "/test", `{"type":"summary.completed"}`, "type", "unknown field"},
		{"POST", "/users/u_1/tokens", `{"ttl":60}`, "ttl", "unknown field"},
		{"POST", "/users/u_1/tokens", `[]`, "body", "must be a JSON object"},
	} {
		code, out := e.rawDo(tc.method, tc.path, tc.body)
		found := false
		for _, d := range out.Error.Details {
			found = found || d.Field == tc.field && strings.Contains(d.Message, tc.message)
		}
		if code != 422 || !found {
			t.Errorf("%s %s %s = %d %+v, want 422 naming %s (%q)", tc.method, tc.path, tc.body, code, out, tc.field, tc.message)
		}
	}
	var n int
	if err := e.store.DB().GetContext(ctx, &n, `SELECT count(*) FROM users WHERE id = 'u_new'`); err != nil || n != 0 {
		t.Errorf("u_new rows %d (%v): a refused body created a user", n, err)
	}
	var email string
	if err := e.store.DB().GetContext(ctx, &email, `SELECT email FROM users WHERE id = 'u_1'`); err != nil || email != "ada@example.com" {
		t.Errorf("u_1 email %q (%v), want unchanged", email, err)
	}
	var tokens int
	if err := e.store.DB().GetContext(ctx, &tokens, `SELECT count(*) FROM user_tokens`); err != nil || tokens != 0 {
		t.Errorf("%d tokens (%v), want none minted by refused bodies", tokens, err)
	}
}

// TestUndeliverableInputIsRefusedWhenSaved publishes data no body can carry and saves custom
// header values no request can carry: each is a 422 naming the path, and nothing is stored.
// Before, the publish answered 202 and the event workflow then failed building the body (no
// delivery, nothing logged), and every attempt of such a webhook failed and counted toward
// auto-disable.
func TestUndeliverableInputIsRefusedWhenSaved(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.directory()
	deep := strings.Repeat(`[`, 600) + strings.Repeat(`]`, 600)
	for i, tc := range []struct{ name, data, field string }{
		{"a number beyond a double", `{"x":1e400}`, "data.x"},
		{"a nested one", `{"items":[{"price":1},{"price":-1e309}]}`, "data.items[1].price"},
		{"nesting deeper than 512 levels", `{"deep":` + deep + `}`, "data.deep" + strings.Repeat("[0]", 511)},
	} {
		id := e.ev(fmt.Sprintf("evt_undeliverable_%d", i))
		body := `{"id":"` + id + `","event":"summary.completed","user_id":"u_1","data":` + tc.data + `}`
		code, out := e.rawDo("POST", "/events", body)
		if code != 422 || !out.names(tc.field) {
			t.Errorf("%s: publish = %d %+v, want 422 naming %s", tc.name, code, out, tc.field)
		}
		if _, err := e.store.Event(ctx, id); herald.ErrorCode(err) != herald.ENotFound {
			t.Errorf("%s: the event was stored (%v)", tc.name, err)
		}
	}
	code, out := e.rawDo("PUT", "/event-types/big.number", `{"example":{"n":1e400}}`)
	if code != 422 || !out.names("example.n") {
		t.Errorf("event type with an undeliverable example = %d %+v, want 422 naming example.n", code, out)
	}

	w := e.createWebhook("/users/u_1", "http://127.0.0.1:1/x", []string{"summary.completed"}, nil)
	for _, v := range []string{"a\x01b", "a\x0bb", "a\x7fb", "a\rb"} {
		for _, req := range []struct{ method, path string }{
			{"POST", "/users/u_1/webhooks"}, {"PATCH", "/users/u_1/webhooks/" + w.ID},
		} {
			body, _ := json.Marshal(map[string]any{"url": "http://127.0.0.1:1/y", "headers": map[string]string{"X-Token": v}})
			code, out := e.rawDo(req.method, req.path, string(body))
			if code != 422 || !out.names("headers.X-Token") {
				t.Errorf("%s %s header value %q = %d %+v, want 422 naming headers.X-Token", req.method, req.path, v, code, out)
			}
		}
	}
	var n int
	if err := e.store.DB().GetContext(ctx, &n, `SELECT count(*) FROM webhooks`); err != nil || n != 1 {
		t.Errorf("%d webhooks (%v), want only the valid one", n, err)
	}
}
