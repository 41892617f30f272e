package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/herald-webhooks/herald/internal/presets"
	"github.com/herald-webhooks/herald/internal/signing/seedverify"
)

// TestSeedReceivers delivers one event to a webhook created with each seed product's preset and
// checks it with a Go port of that product's documented receiver (internal/signing/seedverify). The
// event data holds what breaks naive re-serialization: HTML, an ampersand, 0.0 and 1e-7.
func TestSeedReceivers(t *testing.T) {
	e := newEnv(t)
	e.directory()

	type got struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	received := map[string][]got{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received[r.URL.Path] = append(received[r.URL.Path], got{r.Header.Clone(), b})
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)

	data := json.RawMessage(`{"summary":{"html":"<p>Hi</p>","note":"a&b"},"score":0.0,"tiny":1e-7}`)
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			verify, ok := seedverify.ForPreset(p.Name)
			if !ok {
				t.Fatalf("no documented receiver for preset %q", p.Name)
			}
			path, user := "/"+p.Name, "u_seed_"+p.Name
			e.mustDo(200, "PUT", "/users/"+user, map[string]any{"email": p.Name + "@example.com"}, nil)
			var w webhook
			e.mustDo(201, "POST", "/users/"+user+"/webhooks", map[string]any{"url": srv.URL + path,
				"events": []string{"summary.completed"}, "active": true, "preset": p.Name}, &w)
			if !strings.HasPrefix(w.Secret, p.SecretPrefix) {
				t.Fatalf("the secret does not use the preset's prefix %q", p.SecretPrefix)
			}
			id := e.ev("evt_seed_" + p.Name)
			e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": "summary.completed", "user_id": user,
				"data": data}, nil)
			if d := e.waitDeliveries(id, 1)[0]; d.Status != "succeeded" {
				t.Fatalf("delivery %+v", d)
			}
			mu.Lock()
			reqs := received[path]
			mu.Unlock()
			if len(reqs) != 1 {
				t.Fatalf("receiver got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if err := verify(w.Secret, r.header, r.body); err != nil {
				t.Fatalf("the %s receiver rejected Herald's delivery: %v\nheaders %v\nbody %s", p.Name, err, r.header, r.body)
			}
			for _, want := range []string{`"<p>Hi</p>"`, `"a&b"`, `"score":0`, `"tiny":1e-7`} {
				if !bytes.Contains(r.body, []byte(want)) {
					t.Errorf("body lacks %s as JavaScript would write it: %s", want, r.body)
				}
			}
			tampered := bytes.Replace(r.body, []byte(`"a&b"`), []byte(`"a&c"`), 1)
			if err := verify(w.Secret, r.header, tampered); err == nil {
				t.Fatalf("the %s receiver accepted a tampered body", p.Name)
			}
			if p.EventHeader != "" && r.header.Get(p.EventHeader) != "summary.completed" {
				t.Fatalf("event header %s = %q", p.EventHeader, r.header.Get(p.EventHeader))
			}
		})
	}
}

// TestFlatDataCannotForgeTheSignedBody publishes data whose top-level names are Herald's own to
// a Pocket (flat) webhook: the validly signed body must carry Herald's id, type, time, webhook,
// user and organization, and data's other members.
func TestFlatDataCannotForgeTheSignedBody(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	w := e.createWebhook("/organization/org_1", r.URL+"/pocket", []string{"summary.completed"}, map[string]any{"preset": "pocket"})
	id := e.ev("evt_forge")
	e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": "summary.completed", "user_id": "u_1",
		"data": map[string]any{"id": "DATA_ID", "event": "DATA_EVENT", "timestamp": "DATA_TS", "webhook_id": "DATA_WH",
			"user": map[string]any{"id": "DATA_USER"}, "organization": map[string]any{"id": "DATA_ORG"},
			"recording": map[string]any{"id": "rec_1"}}}, nil)
	if d := e.waitDeliveries(id, 1)[0]; d.Status != "succeeded" {
		t.Fatalf("delivery %+v", d)
	}
	got := r.requests("/pocket")
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests", len(got))
	}
	if err := seedverify.Pocket(w.Secret, got[0].Header, got[0].Body); err != nil {
		t.Fatalf("Pocket's receiver rejected the delivery: %v", err)
	}
	var body struct {
		ID           string              `json:"id"`
		Event        string              `json:"event"`
		Timestamp    string              `json:"timestamp"`
		WebhookID    string              `json:"webhook_id"`
		User         struct{ ID string } `json:"user"`
		Organization struct{ ID string } `json:"organization"`
		Recording    json.RawMessage     `json:"recording"`
	}
	if err := json.Unmarshal(got[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.ID != id || body.Event != "summary.completed" || !strings.HasPrefix(body.Timestamp, "20") ||
		body.WebhookID != w.ID || body.User.ID != "u_1" || body.Organization.ID != "org_1" ||
		string(body.Recording) != `{"id":"rec_1"}` {
		t.Fatalf("the data replaced Herald's members of the signed body: %s", got[0].Body)
	}
}
