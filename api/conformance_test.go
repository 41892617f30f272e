package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/internal/catalog"
	"github.com/herald-webhooks/herald/internal/presets"
	"github.com/herald-webhooks/herald/internal/signing"
	"github.com/herald-webhooks/herald/internal/signing/seedverify"
)

// handled is one request a conformance receiver got, with what its handler port did.
type handled struct {
	header http.Header
	body   []byte
	calls  []seedverify.Call
	err    error
}

// handlerReceiver is a real HTTP endpoint that runs, for each path, a port of a seed
// product's documented handler code (internal/signing/seedverify): 200 when the handler processed the
// request, 401 for a failed check, 500 when it threw.
type handlerReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	handlers map[string]seedverify.Handler
	got      map[string][]handled
}

func newHandlerReceiver(t *testing.T) *handlerReceiver {
	r := &handlerReceiver{handlers: map[string]seedverify.Handler{}, got: map[string][]handled{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		hd := r.handlers[req.URL.Path]
		r.mu.Unlock()
		h := handled{header: req.Header.Clone(), body: body, err: fmt.Errorf("no handler for %s", req.URL.Path)}
		if hd != nil {
			h.calls, h.err = hd.Handle(req.Header, body)
		}
		r.mu.Lock()
		r.got[req.URL.Path] = append(r.got[req.URL.Path], h)
		r.mu.Unlock()
		switch {
		case h.err == nil:
			w.WriteHeader(200)
		case strings.Contains(h.err.Error(), "signature"):
			w.WriteHeader(401)
		default:
			w.WriteHeader(500)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *handlerReceiver) requests(path string) []handled {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]handled(nil), r.got[path]...)
}

// TestPresetsRunEachSeedsHandlerUnchanged creates, for each preset, a personal and an
// organization webhook with nothing but url, events, active and preset, publishes the
// product's documented example event (the catalog's example data) for a user of the
// organization, and runs the product's documented handler code on what arrives. The handler
// must process it and read every member it uses with the expected value: a preset that loses
// a member a handler reads fails here.
func TestPresetsRunEachSeedsHandlerUnchanged(t *testing.T) {
	e := newEnv(t)
	examples, err := catalog.Examples()
	if err != nil {
		t.Fatal(err)
	}
	example := map[string]json.RawMessage{}
	for _, et := range examples {
		example[et.Name] = et.Example
		e.mustDo(200, "PUT", "/event-types/"+et.Name, map[string]any{"description": et.Description, "group": et.Group,
			"schema": et.Schema, "example": et.Example}, nil)
	}
	e.mustDo(200, "PUT", "/users/u_conf", map[string]any{"email": "alice@example.com", "name": "Alice"}, nil)
	e.mustDo(200, "PUT", "/organizations/org_conf", map[string]any{"name": "Acme"}, nil)
	e.mustDo(200, "PUT", "/organizations/org_conf/members/u_conf", map[string]any{"role": "admin"}, nil)
	r := newHandlerReceiver(t)

	type call = seedverify.Call
	c := seedverify.NewCall
	undefined := seedverify.Undefined
	tests := []struct {
		preset, event string
		// want is what the handler must do with the delivery of event id to webhook wh, whose
		// organization is org (Undefined on the personal webhook).
		want func(id, wh string, org any) []call
	}{
		{"standard", "summary.completed", func(id, _ string, _ any) []call {
			return []call{c("event", id, "summary.completed", true)}
		}},
		{"pocket", "summary.completed", func(_, _ string, org any) []call {
			return []call{c("event", "summary.completed", true), c("user", "u_conf", "alice@example.com"),
				c("organization", org), c("recording", "rec_abc123", "Team Standup"),
				c("summary", "Team Standup", 1.0)}
		}},
		{"meeting-platform", "recording.processing.completed", func(string, string, any) []call {
			return []call{c("event", "recording.processing.completed", true),
				c("recording", 123.0, "Team Meeting", "completed")}
		}},
		{"convo", "conversation.keypoints.ready", func(string, string, any) []call {
			return []call{c("route", "conversation.keypoints.ready"), c("event", "conversation.keypoints.ready", true),
				c("data", "sess_a1b2c3", "Q1 Planning Review")}
		}},
		{"pocketsflow", "order.completed", func(id, _ string, _ any) []call {
			return []call{c("console.log", "Received event:", "order.completed"),
				c("grantCourseAccess", "buyer@example.com", "prod_3f2e1d"), c("sendEmail", "buyer@example.com", "welcome"),
				c("analytics.track", "Purchase Completed", 32.4, "prod_3f2e1d"), c("processedEvents.add", id)}
		}},
		{"bigmind", "transcription_created", func(_, wh string, _ any) []call {
			return []call{c("console.log", "Event:", "transcription_created"), c("webhook", wh, true),
				c("meeting", "mtg_abc123", "ses_xyz789"), c("transcript", "<transcript content in HTML format>"),
				c("speaker", "John Doe", "john@example.com")}
		}},
	}
	var covered []string
	for _, tt := range tests {
		covered = append(covered, tt.preset)
		t.Run(tt.preset+" receivers process "+tt.event+" as their product's handler code does", func(t *testing.T) {
			p, ok := presets.Get(tt.preset)
			if !ok {
				t.Fatalf("no preset %q", tt.preset)
			}
			scopes := []struct {
				name, path string
				org        any
			}{{"personal", "/users/u_conf", undefined}, {"organization", "/organization/org_conf", "org_conf"}}
			hooks := map[string]webhook{}
			for _, sc := range scopes {
				path := "/" + tt.preset + "/" + sc.name
				var w webhook
				e.mustDo(201, "POST", sc.path+"/webhooks", map[string]any{"url": r.URL + path, "events": []string{tt.event},
					"active": true, "preset": tt.preset}, &w)
				hd, ok := seedverify.HandlerForPreset(tt.preset, w.Secret)
				if !ok {
					t.Fatalf("no handler port for preset %q", tt.preset)
				}
				r.mu.Lock()
				r.handlers[path] = hd
				r.mu.Unlock()
				hooks[sc.name] = w
			}
			defer func() { // the next case may publish the same event type
				for _, w := range hooks {
					e.mustDo(200, "POST", "/webhooks/"+w.ID+"/deactivate", nil, nil)
				}
			}()
			id := e.ev("evt_conf_" + strings.ReplaceAll(tt.preset, "-", "_"))
			e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": tt.event, "user_id": "u_conf",
				"data": example[tt.event]}, nil)
			ds := e.waitDeliveries(id, 2)
			// check runs the expectations on the n-th request (0-based) path got, a delivery of
			// event id to webhook w whose organization is org.
			check := func(path string, n int, id string, w webhook, org any) {
				t.Helper()
				got := r.requests(path)
				if len(got) != n+1 {
					t.Fatalf("%s got %d requests, want %d", path, len(got), n+1)
				}
				h := got[n]
				t.Logf("%s webhook %s received:\n%s\n%s", tt.preset, path, printHeaders(h.header, p), h.body)
				if h.err != nil {
					t.Fatalf("%s: the %s handler refused the delivery: %v\n%s", path, tt.preset, h.err, h.body)
				}
				calls := h.calls
				if tt.preset == "pocket" {
					// delivery(User-Agent, X-HeyPocket-Timestamp as a number of milliseconds)
					d := calls[0]
					ms, _ := d.Args[1].(float64)
					if d.Args[0] != "HeyPocket-Webhook/1.0" || math.Abs(ms-float64(time.Now().UnixMilli())) > 5*60*1000 {
						t.Fatalf("Pocket's documented delivery headers: User-Agent %q, X-HeyPocket-Timestamp %v (want ms of now)", d.Args[0], d.Args[1])
					}
					calls = calls[1:]
				}
				if want := tt.want(id, w.ID, org); !reflect.DeepEqual(calls, want) {
					t.Fatalf("%s: the %s handler did\n%v\nwant\n%v\nbody %s", path, tt.preset, calls, want, h.body)
				}
				if p.EventHeader != "" && h.header.Get(p.EventHeader) != tt.event {
					t.Fatalf("%s: %s = %q, want the body's event %q", path, p.EventHeader, h.header.Get(p.EventHeader), tt.event)
				}
			}
			for _, sc := range scopes {
				check("/"+tt.preset+"/"+sc.name, 0, id, hooks[sc.name], sc.org)
			}
			for _, d := range ds {
				if d.Status != "succeeded" {
					t.Fatalf("delivery %+v", d)
				}
			}
			// A test send of the same event type (the catalog's example) to the personal webhook
			// is processed the same way.
			var test struct {
				EventID   string `json:"event_id"`
				Succeeded bool   `json:"succeeded"`
			}
			e.mustDo(200, "POST", "/webhooks/"+hooks["personal"].ID+"/test", map[string]any{"event": tt.event}, &test)
			check("/"+tt.preset+"/personal", 1, test.EventID, hooks["personal"], undefined)
			if !test.Succeeded {
				t.Fatalf("test send answered %+v", test)
			}
			if tt.preset != "pocketsflow" {
				return
			}
			// "Process each webhook only once using the event ID": a manual redelivery carries the
			// same id, so the handler recognises it.
			var personal string
			for _, d := range ds {
				if d.WebhookID == hooks["personal"].ID {
					personal = d.ID
				}
			}
			e.mustDo(202, "POST", "/deliveries/"+personal+"/redeliver", nil, nil)
			path := "/pocketsflow/personal"
			waitFor(t, "the redelivery", 30*time.Second, func() bool { return len(r.requests(path)) == 3 })
			again := r.requests(path)[2]
			if again.err != nil || !reflect.DeepEqual(again.calls[len(again.calls)-1], c("duplicate", id)) {
				t.Fatalf("the redelivery was not recognised as event %s: %v, %v", id, again.calls, again.err)
			}
		})
	}
	t.Run("every preset has a handler port here", func(t *testing.T) {
		for _, p := range presets.All() {
			if !slices.Contains(covered, p.Name) {
				t.Errorf("preset %q has no conformance case", p.Name)
			}
		}
	})
}

// printHeaders lists the request's headers, one per line in name order, with signature values
// elided.
func printHeaders(h http.Header, p presets.Preset) string {
	sig := map[string]bool{}
	for _, k := range signing.SignatureHeaders(p.Signing) {
		sig[http.CanonicalHeaderKey(k)] = true
	}
	var names []string
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		v := strings.Join(h[k], ", ")
		if sig[k] {
			v = "(signature elided)"
		}
		fmt.Fprintf(&b, "%s: %s\n", k, v)
	}
	return b.String()
}
