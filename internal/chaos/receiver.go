package chaos

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// receiver is the destination of the harness's two webhooks (paths /personal and /org) on a
// fixed loopback port. It verifies every request's signature and counts, per destination and
// webhook-id (the event id), the requests it answered 200 and all the requests it got. It can
// be taken down: refusing connections (its listener closed) or answering 503.
type receiver struct {
	addr      string
	verifiers map[string]*standardwebhooks.Webhook // by destination

	mu       sync.Mutex
	ok       map[receipt]int // requests answered 200
	requests map[receipt]int // every request that reached the handler
	badSig   int
	status   int // 0: up (200); else the status every request gets
	srv      *http.Server
	progress chan struct{} // receives (without blocking) after each new delivery
}

type receipt struct{ dest, eventID string }

func newReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{addr: ln.Addr().String(), verifiers: map[string]*standardwebhooks.Webhook{},
		ok: map[receipt]int{}, requests: map[receipt]int{}, progress: make(chan struct{}, 1)}
	r.serve(ln)
	return r, nil
}

func (r *receiver) url(dest string) string { return "http://" + r.addr + "/" + dest }

// verify makes the receiver check the signatures of a destination with its secret.
func (r *receiver) verify(dest, secret string) error {
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.verifiers[dest] = v
	r.mu.Unlock()
	return nil
}

func (r *receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 10 * time.Second}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	dest := strings.TrimPrefix(req.URL.Path, "/")
	body, err := io.ReadAll(req.Body)
	r.mu.Lock()
	v := r.verifiers[dest]
	r.mu.Unlock()
	if err != nil || v == nil {
		http.Error(w, "unknown destination", http.StatusNotFound)
		return
	}
	sigOK := v.Verify(body, req.Header) == nil
	key := receipt{dest, req.Header.Get("webhook-id")}

	r.mu.Lock()
	r.requests[key]++
	status := r.status
	if !sigOK {
		r.badSig++
		status = http.StatusUnauthorized
	}
	first := false
	if status == 0 {
		r.ok[key]++
		first = r.ok[key] == 1
	}
	r.mu.Unlock()
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.WriteHeader(http.StatusOK)
	if first {
		select {
		case r.progress <- struct{}{}:
		default:
		}
	}
}

// refuse closes the listener and every connection: deliveries get "connection refused".
func (r *receiver) refuse() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// answer listens again (after refuse) and answers every request with status (0: 200).
func (r *receiver) answer(status int) error {
	r.mu.Lock()
	r.status = status
	listening := r.srv != nil
	r.mu.Unlock()
	if listening {
		return nil
	}
	var ln net.Listener
	var err error
	for range 50 { // the port may linger for a moment after the close
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			r.serve(ln)
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.Join(errors.New("receiver: listen again on "+r.addr), err)
}

func (r *receiver) close() { r.refuse() }

// tally is what the receiver got for a set of events.
type tally struct {
	unique, ok, requests, badSig int
}

// count tallies the receipts of events whose id starts with prefix, among accepted (nil: all).
func (r *receiver) count(prefix string, accepted map[string]bool) tally {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t tally
	for k, n := range r.ok {
		if strings.HasPrefix(k.eventID, prefix) && (accepted == nil || accepted[k.eventID]) {
			t.unique++
			t.ok += n
		}
	}
	for k, n := range r.requests {
		if strings.HasPrefix(k.eventID, prefix) && (accepted == nil || accepted[k.eventID]) {
			t.requests += n
		}
	}
	t.badSig = r.badSig
	return t
}

// has reports whether a delivery arrived.
func (r *receiver) has(dest, eventID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ok[receipt{dest, eventID}] > 0
}
