package api_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/devstack"
	"github.com/herald-webhooks/herald/internal/wire"
)

// fullWebhook is the webhook resource as the API shows it.
type fullWebhook struct {
	ID                   string            `json:"id"`
	UserID               string            `json:"user_id"`
	OrganizationID       string            `json:"organization_id"`
	Name                 string            `json:"name"`
	Description          string            `json:"description"`
	URL                  string            `json:"url"`
	Events               []string          `json:"events"`
	Status               string            `json:"status"`
	Headers              map[string]string `json:"headers"`
	EventHeader          string            `json:"event_header"`
	TimeoutSeconds       int               `json:"timeout_seconds"`
	Format               string            `json:"format"`
	Retry                map[string]any    `json:"retry"`
	Signing              map[string]any    `json:"signing"`
	SecretPrefix         string            `json:"secret_prefix"`
	Secret               *string           `json:"secret"`
	SecretHint           string            `json:"secret_hint"`
	DisableAfterFailures int               `json:"disable_after_failures"`
	ConsecutiveFailures  int               `json:"consecutive_failures"`
	DisabledReason       string            `json:"disabled_reason"`
}

func (a errorAnswer) hasField(f string) bool {
	for _, d := range a.Error.Details {
		if d.Field == f {
			return true
		}
	}
	return false
}

// strictAPI serves the env's database under the production default URL policy (public HTTPS only).
func (e *env) strictAPI() *env {
	e.t.Helper()
	srv := &api.Server{Store: e.store, Temporal: stack.Client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	hs := httptest.NewServer(srv.Handler())
	e.t.Cleanup(hs.Close)
	strict := *e
	strict.api = hs
	return &strict
}

// capture is a receiver that keeps every request and answers with answer(path).
type capture struct {
	*httptest.Server
	mu     sync.Mutex
	got    map[string][]received
	answer func(path string) (int, string)
}

func newCapture(t *testing.T) *capture {
	c := &capture{got: map[string][]received{}, answer: func(string) (int, string) { return 200, "ok" }}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.got[r.URL.Path] = append(c.got[r.URL.Path], received{WebhookID: r.Header.Get("webhook-id"), Body: body, Header: r.Header.Clone()})
		answer := c.answer
		c.mu.Unlock()
		code, text := answer(r.URL.Path)
		w.WriteHeader(code)
		io.WriteString(w, text)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *capture) requests(path string) []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.got[path]...)
}

func (c *capture) waitFor(t *testing.T, path string, n int) []received {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if got := c.requests(path); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d requests, want %d", path, len(c.requests(path)), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func verifies(secret string, r received) bool {
	wh, err := standardwebhooks.NewWebhook(secret)
	return err == nil && wh.Verify(r.Body, r.Header) == nil
}

func TestWebhookLifecycle(t *testing.T) {
	e := newEnv(t)
	e.directory()
	const scope = "/organization/org_1/webhooks"
	url := "http://127.0.0.1:9/hooks"

	var created fullWebhook
	e.mustDo(201, "POST", scope, map[string]any{"name": "Pocket", "url": url, "events": []string{"summary.completed"},
		"headers": map[string]string{"X-Tenant": "acme"}}, &created)

	t.Run("create returns the secret once, with the default prefix, and an inactive webhook with defaults", func(t *testing.T) {
		if created.Secret == nil || !strings.HasPrefix(*created.Secret, "whsec_") || len(*created.Secret) < 30 {
			t.Fatalf("secret %v", created.Secret)
		}
		if created.SecretHint != (*created.Secret)[:6]+"****" {
			t.Fatalf("hint %q", created.SecretHint)
		}
		if created.Status != "inactive" || created.TimeoutSeconds != 30 || created.Format != "envelope" ||
			created.DisableAfterFailures != 15 || created.Signing["scheme"] != "standard" || created.OrganizationID != "org_1" ||
			created.Retry["max_attempts"] != float64(18) {
			t.Fatalf("created %+v", created)
		}
	})
	t.Run("GET one and the list show the hint and never the secret", func(t *testing.T) {
		var raw json.RawMessage
		e.mustDo(200, "GET", scope+"/"+created.ID, nil, &raw)
		var page json.RawMessage
		e.mustDo(200, "GET", scope, nil, &page)
		for _, b := range []json.RawMessage{raw, page} {
			if strings.Contains(string(b), *created.Secret) || strings.Contains(string(b), `"secret":`) {
				t.Fatalf("a read shows the secret: %s", b)
			}
			if !strings.Contains(string(b), `"secret_hint":"`+created.SecretHint+`"`) {
				t.Fatalf("no hint in %s", b)
			}
		}
	})
	t.Run("the webhook is a 404 under another owner's path", func(t *testing.T) {
		for _, p := range []string{"/users/u_1/webhooks/" + created.ID, "/organization/org_2/webhooks/" + created.ID} {
			var a errorAnswer
			if got := e.do("GET", p, nil, &a); got != 404 || a.Error.Code != "not_found" {
				t.Fatalf("GET %s = %d %+v", p, got, a)
			}
		}
	})
	t.Run("PUT replaces every field and defaults the omitted ones", func(t *testing.T) {
		var w fullWebhook
		e.mustDo(200, "PUT", scope+"/"+created.ID, map[string]any{"url": url + "/v2", "events": []string{"recording.created"},
			"timeout_seconds": 10, "retry": map[string]any{"max_attempts": 3}}, &w)
		if w.Name != "" || len(w.Headers) != 0 || w.URL != url+"/v2" || w.TimeoutSeconds != 10 || w.Status != "inactive" ||
			w.Retry["max_attempts"] != float64(3) || w.Retry["initial_interval_seconds"] != float64(60) || w.Secret != nil {
			t.Fatalf("after PUT %+v", w)
		}
	})
	t.Run("PATCH changes only the given fields, merges objects and resets null ones", func(t *testing.T) {
		var w fullWebhook
		e.mustDo(200, "PATCH", scope+"/"+created.ID, map[string]any{"name": "B", "headers": map[string]string{"X-A": "1", "X-B": "2"}}, &w)
		if w.Name != "B" || w.URL != url+"/v2" || w.TimeoutSeconds != 10 || len(w.Headers) != 2 {
			t.Fatalf("after PATCH %+v", w)
		}
		var w2 fullWebhook
		e.mustDo(200, "PATCH", scope+"/"+created.ID, `{"headers":{"X-A":null},"timeout_seconds":null,
			"signing":{"scheme":"hmac-sha256","header":"X-HeyPocket-Signature","content":"timestamp.body","timestamp_header":"X-HeyPocket-Timestamp","timestamp_unit":"ms"}}`, &w2)
		if w2.Name != "B" || !reflect.DeepEqual(w2.Headers, map[string]string{"X-B": "2"}) || w2.TimeoutSeconds != 30 ||
			w2.Signing["header"] != "X-HeyPocket-Signature" || w2.Signing["encoding"] != "hex" {
			t.Fatalf("after PATCH %+v", w2)
		}
		var got fullWebhook
		e.mustDo(200, "GET", scope+"/"+created.ID, nil, &got)
		if !reflect.DeepEqual(got, w2) {
			t.Fatalf("GET %+v\nPATCH answered %+v", got, w2)
		}
	})
	t.Run("activation without events is refused with 422 on events and changes nothing", func(t *testing.T) {
		e.mustDo(200, "PATCH", scope+"/"+created.ID, map[string]any{"events": []string{}}, nil)
		var a errorAnswer
		if got := e.do("POST", "/webhooks/"+created.ID+"/activate", nil, &a); got != 422 || a.Error.Code != "validation_failed" || !a.hasField("events") {
			t.Fatalf("activate = %d %+v", got, a)
		}
		var w fullWebhook
		e.mustDo(200, "GET", scope+"/"+created.ID, nil, &w)
		if w.Status != "inactive" {
			t.Fatalf("status %s", w.Status)
		}
	})
	t.Run("activate, then deactivate", func(t *testing.T) {
		e.mustDo(200, "PATCH", scope+"/"+created.ID, map[string]any{"events": []string{"*"}}, nil)
		var w fullWebhook
		e.mustDo(200, "POST", "/webhooks/"+created.ID+"/activate", nil, &w)
		if w.Status != "active" {
			t.Fatalf("after activate %+v", w)
		}
		e.mustDo(200, "POST", "/webhooks/"+created.ID+"/deactivate", nil, &w)
		if w.Status != "inactive" {
			t.Fatalf("after deactivate %+v", w)
		}
	})
	t.Run("a disabled webhook activates again with its reason and failure counter cleared", func(t *testing.T) {
		if _, err := e.store.DB().Exec(`UPDATE webhooks SET status = 'disabled', disabled_reason = '15 consecutive failures',
			consecutive_failures = 15 WHERE id = $1`, created.ID); err != nil {
			t.Fatal(err)
		}
		var edited fullWebhook
		e.mustDo(200, "PATCH", scope+"/"+created.ID, map[string]any{"description": "edited while disabled"}, &edited)
		if edited.Status != "disabled" || edited.ConsecutiveFailures != 15 {
			t.Fatalf("an edit without active changed the status: %+v", edited)
		}
		var raw json.RawMessage
		e.mustDo(200, "POST", "/webhooks/"+created.ID+"/activate", nil, &raw)
		var w fullWebhook
		_ = json.Unmarshal(raw, &w)
		if w.Status != "active" || w.ConsecutiveFailures != 0 || w.DisabledReason != "" {
			t.Fatalf("after activate %s", raw)
		}
	})
	t.Run("a personal webhook with its own prefix, created active", func(t *testing.T) {
		var w fullWebhook
		e.mustDo(201, "POST", "/users/u_1/webhooks", map[string]any{"url": url, "events": []string{"*"}, "active": true,
			"secret_prefix": "wsec_"}, &w)
		if w.Status != "active" || w.Secret == nil || !strings.HasPrefix(*w.Secret, "wsec_") || w.UserID != "u_1" {
			t.Fatalf("created %+v", w)
		}
		e.mustDo(200, "GET", "/users/u_1/webhooks/"+w.ID, nil, nil)
	})
	t.Run("the list pages with a cursor", func(t *testing.T) {
		for range 2 {
			e.mustDo(201, "POST", scope, map[string]any{"url": url}, nil)
		}
		var p1, p2 struct {
			Data       []fullWebhook `json:"data"`
			NextCursor string        `json:"next_cursor"`
		}
		e.mustDo(200, "GET", scope+"?limit=2", nil, &p1)
		e.mustDo(200, "GET", scope+"?limit=2&cursor="+p1.NextCursor, nil, &p2)
		if len(p1.Data) != 2 || p1.NextCursor == "" || len(p2.Data) != 1 || p2.NextCursor != "" || p1.Data[0].ID != created.ID {
			t.Fatalf("pages %+v / %+v", p1, p2)
		}
	})
}

func TestRotateSecretSignsWithBothDuringGrace(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newCapture(t)
	w := e.createWebhook("/users/u_1", r.URL+"/rot", []string{"summary.completed"}, nil)
	publish := func(id string) received {
		t.Helper()
		n := len(r.requests("/rot"))
		e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev(id), "event": "summary.completed", "user_id": "u_1",
			"data": map[string]any{"n": 1}}, nil)
		return r.waitFor(t, "/rot", n+1)[n]
	}
	var rot fullWebhook
	e.mustDo(200, "POST", "/webhooks/"+w.ID+"/rotate-secret", nil, &rot)
	if rot.Secret == nil || *rot.Secret == w.Secret || rot.SecretHint != (*rot.Secret)[:6]+"****" {
		t.Fatalf("rotation answered %+v", rot)
	}
	newSecret := *rot.Secret

	t.Run("during the grace period both secrets verify a real delivery with the Standard Webhooks library", func(t *testing.T) {
		got := publish("evt_rot_1")
		if !verifies(w.Secret, got) || !verifies(newSecret, got) {
			t.Fatalf("old verifies %v, new verifies %v; signature %q", verifies(w.Secret, got), verifies(newSecret, got),
				got.Header.Get("webhook-signature"))
		}
		if n := len(strings.Fields(got.Header.Get("webhook-signature"))); n != 2 {
			t.Fatalf("%d signatures, want 2", n)
		}
	})
	t.Run("reads show the new hint and no secret", func(t *testing.T) {
		var raw json.RawMessage
		e.mustDo(200, "GET", "/users/u_1/webhooks/"+w.ID, nil, &raw)
		if strings.Contains(string(raw), newSecret) || !strings.Contains(string(raw), `"secret_hint":"`+newSecret[:6]+`****"`) {
			t.Fatalf("read %s", raw)
		}
	})
	t.Run("a rotation with grace 0 revokes the old secrets at once", func(t *testing.T) {
		var rot2 fullWebhook
		e.mustDo(200, "POST", "/webhooks/"+w.ID+"/rotate-secret", map[string]any{"grace_seconds": 0}, &rot2)
		got := publish("evt_rot_2")
		if !verifies(*rot2.Secret, got) || verifies(newSecret, got) || verifies(w.Secret, got) {
			t.Fatalf("signature %q", got.Header.Get("webhook-signature"))
		}
	})
	t.Run("a grace period out of range is refused", func(t *testing.T) {
		var a errorAnswer
		if got := e.do("POST", "/webhooks/"+w.ID+"/rotate-secret", map[string]any{"grace_seconds": -1}, &a); got != 422 || !a.hasField("grace_seconds") {
			t.Fatalf("= %d %+v", got, a)
		}
	})
}

func TestDeleteStopsPendingDeliveriesAndKeepsTheLog(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newCapture(t)
	r.answer = func(string) (int, string) { return 500, "down" }
	w := e.createWebhook("/users/u_1", r.URL+"/down", []string{"*"}, map[string]any{
		"retry": map[string]any{"max_attempts": 20, "initial_interval_seconds": 2, "backoff_coefficient": 1, "max_interval_seconds": 2}})
	e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_del"), "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}, nil)
	r.waitFor(t, "/down", 1)
	var ev struct {
		Deliveries []delivery `json:"deliveries"`
	}
	e.mustDo(200, "GET", "/events/"+e.ev("evt_del"), nil, &ev)
	if len(ev.Deliveries) != 1 || ev.Deliveries[0].Status != "pending" {
		t.Fatalf("deliveries %+v", ev.Deliveries)
	}
	if got := e.do("DELETE", "/users/u_1/webhooks/"+w.ID, nil, nil); got != 204 {
		t.Fatalf("DELETE = %d", got)
	}
	sent := len(r.requests("/down"))

	t.Run("the pending delivery is cancelled and its log stays readable", func(t *testing.T) {
		var d delivery
		e.mustDo(200, "GET", "/deliveries/"+ev.Deliveries[0].ID, nil, &d)
		if d.Status != "cancelled" || len(d.AttemptLog) < 1 {
			t.Fatalf("delivery %+v", d)
		}
	})
	t.Run("its delivery workflow is cancelled in Temporal", func(t *testing.T) {
		id := wire.DeliveryWorkflowID(e.ev("evt_del"), w.ID)
		deadline := time.Now().Add(15 * time.Second)
		for {
			desc, err := stack.Client.DescribeWorkflowExecution(context.Background(), id, "")
			if err == nil && desc.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("workflow %s: %v %v", id, desc, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	t.Run("no attempt follows", func(t *testing.T) {
		time.Sleep(5 * time.Second) // more than two retry intervals
		if n := len(r.requests("/down")); n != sent {
			t.Fatalf("%d requests after the delete, %d before", n, sent)
		}
		var d delivery
		e.mustDo(200, "GET", "/deliveries/"+ev.Deliveries[0].ID, nil, &d)
		if d.Status != "cancelled" || d.Attempts != sent {
			t.Fatalf("delivery %+v after %d requests", d, sent)
		}
	})
	t.Run("the webhook is gone from reads and actions", func(t *testing.T) {
		e.mustDo(404, "GET", "/users/u_1/webhooks/"+w.ID, nil, nil)
		e.mustDo(404, "DELETE", "/users/u_1/webhooks/"+w.ID, nil, nil)
		e.mustDo(404, "POST", "/webhooks/"+w.ID+"/activate", nil, nil)
		var page struct {
			Data []fullWebhook `json:"data"`
		}
		e.mustDo(200, "GET", "/users/u_1/webhooks", nil, &page)
		if len(page.Data) != 0 {
			t.Fatalf("list %+v", page.Data)
		}
	})
}

func TestWebhookValidation(t *testing.T) {
	e := newEnv(t)
	e.directory()
	strict := e.strictAPI()
	const scope = "/users/u_1/webhooks"
	var existing fullWebhook
	e.mustDo(201, "POST", scope, map[string]any{"url": "https://hooks.example.com/a", "events": []string{"summary.completed"}}, &existing)
	one := scope + "/" + existing.ID
	ok := func(extra string) string {
		return `{"url":"https://hooks.example.com/in","events":["summary.completed"]` + extra + `}`
	}

	cases := []struct {
		name   string
		env    *env
		method string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"a URL that is not a URL", e, "POST", scope, `{"url":"not a url"}`, 422, "validation_failed", "url"},
		{"a missing URL", e, "POST", scope, `{"events":["*"]}`, 422, "validation_failed", "url"},
		{"a private IP", e, "POST", scope, `{"url":"https://10.0.0.5/hook"}`, 422, "validation_failed", "url"},
		{"the metadata address", e, "POST", scope, `{"url":"http://169.254.169.254/latest"}`, 422, "validation_failed", "url"},
		{"http:// when the deployment does not allow it", strict, "POST", scope, `{"url":"http://hooks.example.com/in"}`, 422, "validation_failed", "url"},
		{"loopback when the deployment does not allow it", strict, "POST", scope, `{"url":"https://127.0.0.1/in"}`, 422, "validation_failed", "url"},
		{"localhost when the deployment does not allow it", strict, "POST", scope, `{"url":"https://localhost/in"}`, 422, "validation_failed", "url"},
		{"an unknown event", e, "POST", scope, `{"url":"https://hooks.example.com/in","events":["nope.happened"]}`, 422, "validation_failed", "events[0]"},
		{"active without events", e, "POST", scope, `{"url":"https://hooks.example.com/in","active":true}`, 422, "validation_failed", "events"},
		{"a timeout of 0", e, "POST", scope, ok(`,"timeout_seconds":0`), 422, "validation_failed", "timeout_seconds"},
		{"a timeout of 61", e, "POST", scope, ok(`,"timeout_seconds":61`), 422, "validation_failed", "timeout_seconds"},
		{"a retry policy out of range", e, "POST", scope, ok(`,"retry":{"max_attempts":0}`), 422, "validation_failed", "retry.max_attempts"},
		{"a backoff out of range", e, "POST", scope, ok(`,"retry":{"backoff_coefficient":11}`), 422, "validation_failed", "retry.backoff_coefficient"},
		{"an unknown format", e, "POST", scope, ok(`,"format":"xml"`), 422, "validation_failed", "format"},
		{"an unknown signing scheme", e, "POST", scope, ok(`,"signing":{"scheme":"rsa"}`), 422, "validation_failed", "signing.scheme"},
		{"a bad signing encoding", e, "POST", scope, ok(`,"signing":{"scheme":"hmac-sha256","encoding":"base32"}`), 422, "validation_failed", "signing.encoding"},
		{"a bad timestamp unit", e, "POST", scope, ok(`,"signing":{"scheme":"hmac-sha256","timestamp_unit":"us"}`), 422, "validation_failed", "signing.timestamp_unit"},
		{"a reserved custom header", e, "POST", scope, ok(`,"headers":{"webhook-signature":"x"}`), 422, "validation_failed", "headers.webhook-signature"},
		{"a bad secret prefix", e, "POST", scope, ok(`,"secret_prefix":"WH"`), 422, "validation_failed", "secret_prefix"},
		{"disable_after_failures over 1000", e, "POST", scope, ok(`,"disable_after_failures":1001`), 422, "validation_failed", "disable_after_failures"},
		{"bad JSON", e, "POST", scope, `{"url":`, 400, "malformed_request", ""},
		{"a JSON array (issue 11 item 8: a wrong shape is a 422 naming the body)", e, "POST", scope, `[1]`, 422, "validation_failed", "body"},
		{"a number for the URL", e, "POST", scope, `{"url":5}`, 400, "malformed_request", "url"},
		{"a string for the timeout", e, "POST", scope, ok(`,"timeout_seconds":"30"`), 400, "malformed_request", "timeout_seconds"},
		{"a string for the events", e, "POST", scope, `{"url":"https://hooks.example.com/in","events":"*"}`, 400, "malformed_request", "events"},
		{"an oversized body", e, "POST", scope, `{"url":"https://hooks.example.com/in","description":"` + strings.Repeat("x", 300<<10) + `"}`, 413, "payload_too_large", ""},
		{"an unknown owner", e, "POST", "/users/nobody/webhooks", ok(""), 404, "not_found", ""},
		{"PUT with a private IP", e, "PUT", one, `{"url":"https://192.168.1.1/"}`, 422, "validation_failed", "url"},
		{"PUT with bad JSON", e, "PUT", one, `{`, 400, "malformed_request", ""},
		{"PATCH with a timeout out of range", e, "PATCH", one, `{"timeout_seconds":100}`, 422, "validation_failed", "timeout_seconds"},
		{"PATCH with a wrong type", e, "PATCH", one, `{"name":["a"]}`, 400, "malformed_request", "name"},
		{"PATCH with null URL", e, "PATCH", one, `{"url":null}`, 422, "validation_failed", "url"},
		{"PATCH with an unknown event", e, "PATCH", one, `{"events":["nope"]}`, 422, "validation_failed", "events[0]"},
		{"PATCH that is not an object", e, "PATCH", one, `"x"`, 422, "validation_failed", "body"},
		{"a test send of an unknown event type", e, "POST", one + "/test", `{"event":"nope"}`, 422, "unknown_event_type", "event"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a errorAnswer
			got := c.env.do(c.method, c.path, c.body, &a)
			if got != c.status || a.Error.Code != c.code || (c.field != "" && !a.hasField(c.field)) {
				t.Fatalf("%s %s = %d %+v, want %d %s on %q", c.method, c.path, got, a, c.status, c.code, c.field)
			}
		})
	}
	t.Run("nothing changed: the list holds the one webhook, as it was", func(t *testing.T) {
		var page struct {
			Data []fullWebhook `json:"data"`
		}
		e.mustDo(200, "GET", scope, nil, &page)
		existing.Secret = nil
		if len(page.Data) != 1 || !reflect.DeepEqual(page.Data[0], existing) {
			t.Fatalf("list %+v\nwant %+v", page.Data, existing)
		}
		var n int
		if err := e.store.DB().Get(&n, `SELECT count(*) FROM deliveries`); err != nil || n != 0 {
			t.Fatalf("%d deliveries (%v)", n, err)
		}
	})
}

func TestSecretsAreEncryptedAtRest(t *testing.T) {
	e := newEnv(t)
	e.directory()
	w := e.createWebhook("/users/u_1", "http://127.0.0.1:9/x", []string{"*"}, nil)
	var rot fullWebhook
	e.mustDo(200, "POST", "/webhooks/"+w.ID+"/rotate-secret", nil, &rot)

	out, err := exec.Command(pgDump(t), "--no-owner", stack.Postgres.URL(e.name)).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	dump := string(out)
	if !strings.Contains(dump, w.ID) || !strings.Contains(dump, "webhook_secrets") {
		t.Fatal("the dump does not hold the webhook: it proves nothing")
	}
	for _, secret := range []string{w.Secret, *rot.Secret} {
		body := strings.TrimPrefix(secret, "whsec_")
		key, _ := base64.StdEncoding.DecodeString(body)
		for what, needle := range map[string]string{"the secret": secret, "its base64 body": body,
			"its key bytes as hex": hex.EncodeToString(key), "its base64 body as hex": hex.EncodeToString([]byte(body))} {
			if strings.Contains(dump, needle) {
				t.Fatalf("the dump contains %s", what)
			}
		}
	}
	t.Run("the sealed values are stored and are not the plaintext", func(t *testing.T) {
		var sealed [][]byte
		if err := e.store.DB().Select(&sealed, `SELECT sealed FROM webhook_secrets WHERE webhook_id = $1`, w.ID); err != nil {
			t.Fatal(err)
		}
		if len(sealed) != 2 {
			t.Fatalf("%d sealed secrets, want 2 (current and in grace)", len(sealed))
		}
		for _, s := range sealed {
			if strings.Contains(string(s), strings.TrimPrefix(w.Secret, "whsec_")) || len(s) < 40 {
				t.Fatalf("sealed %x", s)
			}
		}
	})
}

type testAnswer struct {
	DeliveryID   string `json:"delivery_id"`
	EventID      string `json:"event_id"`
	Event        string `json:"event"`
	Succeeded    bool   `json:"succeeded"`
	StatusCode   *int   `json:"status_code"`
	DurationMS   int64  `json:"duration_ms"`
	ResponseBody string `json:"response_body"`
	Error        string `json:"error"`
	ErrorKind    string `json:"error_kind"`
}

func TestTestSendReachesARealReceiverAndIsLoggedAsTest(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newCapture(t)
	r.answer = func(path string) (int, string) {
		if path == "/failing" {
			return 500, "nope"
		}
		return 200, "thanks"
	}
	var w fullWebhook
	e.mustDo(201, "POST", "/organization/org_1/webhooks", map[string]any{"url": r.URL + "/pocket",
		"headers": map[string]string{"X-Tenant": "acme"}, "event_header": "X-Herald-Event"}, &w)
	if w.Status != "inactive" {
		t.Fatalf("status %s", w.Status)
	}

	var res testAnswer
	e.mustDo(200, "POST", "/organization/org_1/webhooks/"+w.ID+"/test", nil, &res)
	t.Run("the inactive webhook's receiver gets a signed webhook.test event now", func(t *testing.T) {
		got := r.requests("/pocket")
		if len(got) != 1 {
			t.Fatalf("%d requests", len(got))
		}
		if !verifies(*w.Secret, got[0]) || got[0].WebhookID != res.EventID {
			t.Fatalf("not verified, or webhook-id %q for event %q", got[0].WebhookID, res.EventID)
		}
		if got[0].Header.Get("X-Tenant") != "acme" || got[0].Header.Get("X-Herald-Event") != "webhook.test" {
			t.Fatalf("headers %v", got[0].Header)
		}
		body := string(got[0].Body)
		if !strings.Contains(body, `"event":"webhook.test"`) || !strings.Contains(body, `"organization":{"id":"org_1"}`) ||
			!strings.Contains(body, `"message":"This is a test webhook from Herald"`) {
			t.Fatalf("body %s", body)
		}
	})
	t.Run("the answer reports the receiver's status, body and duration", func(t *testing.T) {
		if !res.Succeeded || res.StatusCode == nil || *res.StatusCode != 200 || res.ResponseBody != "thanks" ||
			res.Error != "" || res.Event != "webhook.test" || res.DeliveryID == "" {
			t.Fatalf("answer %+v", res)
		}
	})
	t.Run("the attempt is in the log with trigger test", func(t *testing.T) {
		var d delivery
		e.mustDo(200, "GET", "/deliveries/"+res.DeliveryID, nil, &d)
		if d.Status != "succeeded" || len(d.AttemptLog) != 1 || d.AttemptLog[0].Trigger != "test" || d.WebhookID != w.ID {
			t.Fatalf("delivery %+v", d)
		}
		var page struct {
			Data []delivery `json:"data"`
		}
		e.mustDo(200, "GET", "/webhooks/"+w.ID+"/deliveries", nil, &page)
		if len(page.Data) != 1 || page.Data[0].ID != res.DeliveryID {
			t.Fatalf("log %+v", page.Data)
		}
	})
	t.Run("a chosen event type, a failing receiver: failed, logged, not counted toward auto-disable", func(t *testing.T) {
		e.mustDo(200, "PATCH", "/organization/org_1/webhooks/"+w.ID, map[string]any{"url": r.URL + "/failing"}, nil)
		var res2 testAnswer
		e.mustDo(200, "POST", "/webhooks/"+w.ID+"/test", map[string]any{"event": "summary.completed"}, &res2)
		if res2.Succeeded || res2.StatusCode == nil || *res2.StatusCode != 500 || res2.ResponseBody != "nope" ||
			res2.ErrorKind != "http_status" || res2.Event != "summary.completed" {
			t.Fatalf("answer %+v", res2)
		}
		if !strings.Contains(string(r.requests("/failing")[0].Body), `"event":"summary.completed"`) {
			t.Fatalf("body %s", r.requests("/failing")[0].Body)
		}
		var d delivery
		e.mustDo(200, "GET", "/deliveries/"+res2.DeliveryID, nil, &d)
		if d.Status != "failed" || len(d.AttemptLog) != 1 || d.AttemptLog[0].Trigger != "test" {
			t.Fatalf("delivery %+v", d)
		}
		var after fullWebhook
		e.mustDo(200, "GET", "/organization/org_1/webhooks/"+w.ID, nil, &after)
		if after.ConsecutiveFailures != 0 {
			t.Fatalf("consecutive failures %d after a failed test", after.ConsecutiveFailures)
		}
	})
	t.Run("test sends are kept out of stats and replays", func(t *testing.T) {
		var st struct {
			Deliveries struct{ Total int } `json:"deliveries"`
			Attempts   struct{ Total int } `json:"attempts"`
		}
		e.mustDo(200, "GET", "/webhooks/"+w.ID+"/stats", nil, &st)
		if st.Deliveries.Total != 0 || st.Attempts.Total != 0 {
			t.Fatalf("stats %+v count test sends", st)
		}
		var rp struct {
			ID string `json:"id"`
		}
		e.mustDo(202, "POST", "/webhooks/"+w.ID+"/replay", map[string]any{"status": []string{"succeeded", "failed"}}, &rp)
		var got struct {
			State    string              `json:"state"`
			Progress struct{ Found int } `json:"progress"`
		}
		waitFor(t, "the replay", 20*time.Second, func() bool {
			e.mustDo(200, "GET", "/replays/"+rp.ID, nil, &got)
			return got.State == "completed"
		})
		if got.Progress.Found != 0 {
			t.Fatalf("the replay found %d test deliveries", got.Progress.Found)
		}
	})
	t.Run("under a policy that refuses loopback, the connection is refused after DNS and reported as blocked", func(t *testing.T) {
		before := len(r.requests("/failing"))
		var res3 testAnswer
		e.strictAPI().mustDo(200, "POST", "/webhooks/"+w.ID+"/test", nil, &res3)
		if res3.Succeeded || res3.StatusCode != nil || res3.ErrorKind != "blocked" || len(r.requests("/failing")) != before {
			t.Fatalf("answer %+v", res3)
		}
	})
}

// pgDump finds pg_dump beside the postgres binary the stack runs (through its symlink), or on PATH.
func pgDump(t *testing.T) string {
	t.Helper()
	if dir, err := devstack.FindPostgresBinaries(); err == nil {
		dirs := []string{dir}
		if real, err := filepath.EvalSymlinks(filepath.Join(dir, "postgres")); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
		for _, d := range dirs {
			if p := filepath.Join(d, "pg_dump"); exec.Command(p, "--version").Run() == nil {
				return p
			}
		}
	}
	p, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Fatal("no pg_dump beside postgres or on PATH")
	}
	return p
}
