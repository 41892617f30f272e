package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/devstack"
	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
	"github.com/herald-webhooks/herald/internal/netguard"
	"github.com/herald-webhooks/herald/internal/postgres"
	"github.com/herald-webhooks/herald/starter"
	"github.com/herald-webhooks/herald/worker"
)

// stack is one embedded Temporal server and one private PostgreSQL cluster for the package;
// each test gets its own database and task queue.
var stack *devstack.Stack

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "herald-api-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	_ = os.Chmod(dir, 0o755) // the postgres user must reach the cluster directory
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	stack, err = devstack.Start(ctx, devstack.StackOptions{DataDir: dir, Ephemeral: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start test stack:", err)
		return 1
	}
	defer stack.Close()
	return m.Run()
}

const adminKey = "hk_test_admin_key"

// env is one test's Herald: its own database, API server and worker on its own task queue.
type env struct {
	t      *testing.T
	store  *postgres.Store
	api    *httptest.Server
	queue  string
	name   string
	worker sdkworker.Worker
}

// ev makes an event id unique to this test run: Temporal outlives each test's database, and a
// closed event workflow of an earlier run would swallow a re-used id.
func (e *env) ev(id string) string { return id + "_" + e.name }

var dbSeq atomic.Int64

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("t%d_%d", time.Now().UnixNano()%1e9, dbSeq.Add(1))
	store, err := stack.NewDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.SetSecretBox(devstacktest.SecretBox(t))
	if _, err := store.CreateAPIKey(ctx, "test", adminKey); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: store, queue: "herald-" + name, name: name}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Receivers are httptest servers on 127.0.0.1 over http: allow what `herald dev` allows.
	srv := &api.Server{Store: store, Temporal: stack.Client, Logger: logger,
		Publisher: &starter.Publisher{Store: store, Temporal: stack.Client, TaskQueue: e.queue},
		URLPolicy: netguard.Policy{AllowHTTP: true, AllowLoopback: true}}
	e.api = httptest.NewServer(srv.Handler())
	t.Cleanup(e.api.Close)
	e.startWorker()
	return e
}

func (e *env) startWorker() {
	e.t.Helper()
	e.startWorkerWith(activities.NewHTTPClient())
}

// startWorkerWith starts the env's worker with deliveries sent through client.
func (e *env) startWorkerWith(client *http.Client) {
	e.t.Helper()
	acts := &activities.Activities{Store: e.store, HTTP: client,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Temporal: stack.Client}
	w := worker.NewOnQueue(stack.Client, e.queue, acts, sdkworker.Options{})
	if err := w.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.worker = w
	e.t.Cleanup(w.Stop)
}

// do sends an authorized API request and decodes the JSON answer into out (when not nil).
func (e *env) do(method, path string, body any, out any) int {
	e.t.Helper()
	return e.doWith(method, path, "Bearer "+adminKey, body, out)
}

func (e *env) doWith(method, path, auth string, body any, out any) int {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.api.URL+"/api/v1"+path, r)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

func (e *env) mustDo(want int, method, path string, body any, out any) {
	e.t.Helper()
	var raw json.RawMessage
	got := e.do(method, path, body, &raw)
	if got != want {
		e.t.Fatalf("%s %s = %d, want %d: %s", method, path, got, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatal(err)
		}
	}
}

type webhook struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
	Status string `json:"status"`
}

// directory sets up user u_1 (member of org_1), user u_2 and event types.
func (e *env) directory() {
	e.t.Helper()
	for _, name := range []string{"summary.completed", "recording.created"} {
		e.mustDo(200, "PUT", "/event-types/"+name, map[string]any{"group": "Processing"}, nil)
	}
	e.mustDo(200, "PUT", "/users/u_1", map[string]any{"email": "ada@example.com", "name": "Ada"}, nil)
	e.mustDo(200, "PUT", "/users/u_2", map[string]any{"email": "bob@example.com"}, nil)
	e.mustDo(200, "PUT", "/organizations/org_1", map[string]any{"name": "Acme"}, nil)
	e.mustDo(200, "PUT", "/organizations/org_1/members/u_1", map[string]any{"role": "member"}, nil)
}

// createWebhook creates an active webhook under a scope path such as "/users/u_1".
func (e *env) createWebhook(scope, url string, events []string, extra map[string]any) webhook {
	e.t.Helper()
	body := map[string]any{"url": url, "events": events, "active": true}
	for k, v := range extra {
		body[k] = v
	}
	var w webhook
	e.mustDo(201, "POST", scope+"/webhooks", body, &w)
	return w
}

type attempt struct {
	Number     int    `json:"number"`
	Trigger    string `json:"trigger"`
	StatusCode *int   `json:"status_code"`
	ErrorKind  string `json:"error_kind"`
}

type delivery struct {
	ID             string    `json:"id"`
	EventID        string    `json:"event_id"`
	WebhookID      string    `json:"webhook_id"`
	Status         string    `json:"status"`
	Attempts       int       `json:"attempts"`
	LastStatusCode *int      `json:"last_status_code"`
	AttemptLog     []attempt `json:"attempt_log"`
}

// waitDeliveries polls the event until it has n deliveries in a final state.
func (e *env) waitDeliveries(eventID string, n int) []delivery {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var ev struct {
			Deliveries []delivery `json:"deliveries"`
		}
		e.mustDo(200, "GET", "/events/"+eventID, nil, &ev)
		final := 0
		for _, d := range ev.Deliveries {
			if d.Status != "pending" {
				final++
			}
		}
		if len(ev.Deliveries) == n && final == n {
			return ev.Deliveries
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("event %s: deliveries %+v, want %d final", eventID, ev.Deliveries, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// receiver is a real HTTP endpoint that verifies each request with the official Standard
// Webhooks library against the secret registered for its path.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	secrets  map[string]string // path -> secret
	got      map[string][]received
	answer   func(path string, n int) int         // status to answer for the n-th request (1-based) on path
	header   func(path string, n int) http.Header // extra answer headers, optional
	notified chan string
}

type received struct {
	At        time.Time
	Verified  bool
	WebhookID string
	Body      []byte
	Header    http.Header
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{secrets: map[string]string{}, got: map[string][]received{}, notified: make(chan string, 100),
		answer: func(string, int) int { return 200 }}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		rec := received{At: time.Now(), WebhookID: req.Header.Get("webhook-id"), Body: body, Header: req.Header.Clone()}
		if s, ok := r.secrets[req.URL.Path]; ok {
			if wh, err := standardwebhooks.NewWebhook(s); err == nil {
				rec.Verified = wh.Verify(body, req.Header) == nil
			}
		}
		r.got[req.URL.Path] = append(r.got[req.URL.Path], rec)
		n := len(r.got[req.URL.Path])
		answer, header := r.answer, r.header
		r.mu.Unlock()
		if header != nil {
			for k, v := range header(req.URL.Path, n) {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(answer(req.URL.Path, n))
		select {
		case r.notified <- req.URL.Path:
		default:
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) register(path, secret string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets[path] = secret
	return r.URL + path
}

func (r *receiver) requests(path string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got[path]...)
}
