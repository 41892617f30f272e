package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/netguard"
	"github.com/herald-webhooks/herald/starter"
)

// nestedItems is a schema whose items are nested levels deep: {"items":{"items":...{}}}.
func nestedItems(levels int) string {
	return strings.Repeat(`{"items":`, levels) + `{"type":"object"}` + strings.Repeat(`}`, levels)
}

// TestDeeplyNestedSchemasAreRefusedAtOnce: a 5,000-level schema (50 KB) took 119 s to save and
// as long again at its type's first publish in each process, a 1,000-level one 1.2 s. Both are
// refused by their depth before any compile work; a normal schema is still accepted.
func TestDeeplyNestedSchemasAreRefusedAtOnce(t *testing.T) {
	e := newEnv(t)
	e.directory()
	for _, levels := range []int{1000, 5000} {
		ans := e.expectError(422, "validation_failed", "schema", "PUT", "/event-types/deep.schema",
			map[string]any{"schema": json.RawMessage(nestedItems(levels))})
		if msg := ans.Error.Details[0].Message; !strings.Contains(msg, "at most 64") {
			t.Errorf("%d levels: message %q does not name the bound", levels, msg)
		}
		e.expectError(404, "not_found", "", "GET", "/event-types/deep.schema", nil)
	}
	e.mustDo(200, "PUT", "/event-types/deep.schema", map[string]any{"schema": json.RawMessage(nestedItems(20))}, nil)
	if st, ans := e.publish(e.ev("evt_deep_ok"), "deep.schema", `{}`); st != 202 {
		t.Fatalf("publish under a 20-level schema = %d %+v", st, ans)
	}

	t.Run("a stored schema beyond the bounds does not hold up a publish", func(t *testing.T) {
		// As an older Herald could have stored it: the publish fails at once instead of
		// compiling for minutes.
		if err := e.store.UpsertEventType(context.Background(), herald.EventType{Name: "deep.stored",
			Schema: json.RawMessage(nestedItems(5000))}); err != nil {
			t.Fatal(err)
		}
		if st, ans := e.publish(e.ev("evt_deep_stored"), "deep.stored", `{}`); st != 500 || ans.Error.Code != "internal" {
			t.Fatalf("publish = %d %+v, want 500 (the stored schema is Herald's fault)", st, ans)
		}
	})
}

// serveWith serves the env's Herald through api.Server.HTTPServer on a real listener, with
// timeouts; it answers the listener's address.
func (e *env) serveWith(timeouts api.Timeouts) string {
	e.t.Helper()
	srv := &api.Server{Store: e.store, Temporal: stack.Client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Publisher: &starter.Publisher{Store: e.store, Temporal: stack.Client, TaskQueue: e.queue},
		URLPolicy: netguard.Policy{AllowHTTP: true, AllowLoopback: true}, Timeouts: timeouts}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	hs := srv.HTTPServer()
	go func() { _ = hs.Serve(ln) }()
	e.t.Cleanup(func() { _ = hs.Close() })
	return ln.Addr().String()
}

// closedByServer reads conn until the server closes it (true), or until guard passes (false).
func closedByServer(conn net.Conn, guard time.Duration) bool {
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, conn)
		close(closed)
	}()
	select {
	case <-closed:
		return true
	case <-time.After(guard):
		return false
	}
}

// TestSlowClientsCannotHoldConnections: only a header timeout was set, so 50 connections that
// announced 100,000 bytes and sent one every 5 s were held open indefinitely. Short timeouts
// here keep the test fast; the server must close each kind of slow connection while its client
// is still at it.
func TestSlowClientsCannotHoldConnections(t *testing.T) {
	e := newEnv(t)
	e.directory()
	timeouts := api.Timeouts{ReadHeader: 300 * time.Millisecond, Read: 600 * time.Millisecond,
		Write: 5 * time.Second, Idle: 600 * time.Millisecond}
	addr := e.serveWith(timeouts)
	const guard = 20 * time.Second // generous: the server must act at about 1 s

	dial := func(t *testing.T) net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	// trickle writes one byte of b every 50 ms until the connection refuses it or stop closes.
	trickle := func(conn net.Conn, b string, stop chan struct{}) {
		for i := 0; i < len(b); i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{b[i]}); err != nil {
				return
			}
		}
	}

	t.Run("a body trickling in is cut off", func(t *testing.T) {
		conns := make([]net.Conn, 5)
		stop := make(chan struct{})
		defer close(stop)
		for i := range conns {
			conns[i] = dial(t)
			fmt.Fprintf(conns[i], "POST /api/v1/events HTTP/1.1\r\nHost: herald\r\nAuthorization: Bearer %s\r\n"+
				"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n", adminKey)
			go trickle(conns[i], `{"id":"evt_slow","event":"x","data":{"a":"`+strings.Repeat("x", 99960)+`"}}`, stop)
		}
		for i, conn := range conns {
			if !closedByServer(conn, guard) {
				t.Fatalf("connection %d still open after %v", i, guard)
			}
		}
	})

	t.Run("headers trickling in are cut off", func(t *testing.T) {
		conn := dial(t)
		stop := make(chan struct{})
		defer close(stop)
		go trickle(conn, "GET /healthz HTTP/1.1\r\nHost: herald\r\nX-Slow: "+strings.Repeat("x", 10000)+"\r\n\r\n", stop)
		if !closedByServer(conn, guard) {
			t.Fatalf("connection still open after %v", guard)
		}
	})

	t.Run("an idle kept-alive connection is closed", func(t *testing.T) {
		conn := dial(t)
		fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: herald\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("GET /healthz = %d (close %v), want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
		}
		if !closedByServer(conn, guard) {
			t.Fatalf("idle connection still open after %v", guard)
		}
	})

	t.Run("a handler may run longer than the read timeout", func(t *testing.T) {
		// A test send waits for its receiver (up to 60 s in production): the read deadline must
		// not cancel it once the request has been read.
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(3 * timeouts.Read)
			w.WriteHeader(http.StatusNoContent)
		}))
		defer slow.Close()
		w := e.createWebhook("/users/u_1", slow.URL+"/hook", []string{"*"}, nil)
		for _, body := range []string{"", `{"event":"webhook.test"}`} {
			req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/webhooks/"+w.ID+"/test", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+adminKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var res struct {
				Succeeded bool   `json:"succeeded"`
				Error     string `json:"error"`
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			_ = json.Unmarshal(raw, &res)
			if resp.StatusCode != 200 || !res.Succeeded {
				t.Fatalf("test send with body %q = %d %s, want 200 and succeeded", body, resp.StatusCode, raw)
			}
		}
	})
}

// TestRetryPoliciesBeyondTheDeliveryWindowAreRefused: 50 attempts a day apart were accepted,
// and the delivery was cut at 6 days without a word. A policy whose schedule, with the
// webhook's timeout, exceeds the window is a 422 naming retry and the bound, whether the
// policy or the timeout makes it so; nothing is stored.
func TestRetryPoliciesBeyondTheDeliveryWindowAreRefused(t *testing.T) {
	e := newEnv(t)
	e.directory()
	daily := map[string]any{"max_attempts": 50, "initial_interval_seconds": 86400, "backoff_coefficient": 1, "max_interval_seconds": 86400}
	ans := e.expectError(422, "validation_failed", "retry", "POST", "/users/u_1/webhooks",
		map[string]any{"url": "https://example.com/hook", "events": []string{"*"}, "retry": daily})
	if msg := ans.Error.Details[0].Message; !strings.Contains(msg, "144h0m0s") {
		t.Errorf("message %q does not name the bound", msg)
	}
	var list struct {
		Data []webhook `json:"data"`
	}
	e.mustDo(200, "GET", "/users/u_1/webhooks", nil, &list)
	if len(list.Data) != 0 {
		t.Fatalf("%d webhooks stored", len(list.Data))
	}

	// Fits with 1 s attempts, not with 60 s ones.
	tight := map[string]any{"max_attempts": 50, "initial_interval_seconds": 10300, "backoff_coefficient": 1, "max_interval_seconds": 10300}
	w := e.createWebhook("/users/u_1", "https://example.com/hook", []string{"*"}, map[string]any{"retry": tight, "timeout_seconds": 1})
	e.expectError(422, "validation_failed", "retry", "PATCH", "/users/u_1/webhooks/"+w.ID, map[string]any{"timeout_seconds": 60})
	var got struct {
		TimeoutSeconds int `json:"timeout_seconds"`
	}
	e.mustDo(200, "GET", "/users/u_1/webhooks/"+w.ID, nil, &got)
	if got.TimeoutSeconds != 1 {
		t.Errorf("timeout %d after the refused PATCH, want 1", got.TimeoutSeconds)
	}
	e.mustDo(200, "PATCH", "/users/u_1/webhooks/"+w.ID, map[string]any{"timeout_seconds": 30, "retry": map[string]any{
		"max_attempts": 18, "initial_interval_seconds": 60, "backoff_coefficient": 2, "max_interval_seconds": 7200}}, nil)
}
