package bench

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// receiver is the loopback endpoint every bench webhook points at (path /w/<webhook index>).
// It counts deliveries by (webhook, webhook-id), measures publish-to-receive latency from the
// sent_at_ns the publisher put in the event data, and verifies the signature of a sample.
type receiver struct {
	verifiers   []*standardwebhooks.Webhook // by webhook index
	verifyEvery int                         // verify one delivery in verifyEvery

	mu        sync.Mutex
	seen      map[deliveryKey]int
	received  int
	e2e       []time.Duration
	last      time.Time
	verified  int
	badSig    int
	badBody   int
	downFrom  time.Time // the outage: 503 to every request between downFrom and downUntil
	downUntil time.Time
	refused   int
	progress  chan struct{} // receives (without blocking) after each new delivery
	srv       *http.Server
	listenURL string
}

type deliveryKey struct {
	webhook int
	msgID   string
}

func newReceiver(secrets []string, verifyEvery int) (*receiver, error) {
	r := &receiver{seen: map[deliveryKey]int{}, verifyEvery: max(1, verifyEvery), progress: make(chan struct{}, 1)}
	for _, s := range secrets {
		v, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			return nil, err
		}
		r.verifiers = append(r.verifiers, v)
	}
	return r, nil
}

// start listens on a free loopback port.
func (r *receiver) start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	r.listenURL = "http://" + ln.Addr().String()
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return nil
}

func (r *receiver) url(webhook int) string { return r.listenURL + "/w/" + strconv.Itoa(webhook) }

func (r *receiver) close() {
	if r.srv != nil {
		_ = r.srv.Close()
	}
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	idx, err := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/w/"))
	body, rerr := io.ReadAll(req.Body)
	if err != nil || idx < 0 || idx >= len(r.verifiers) || rerr != nil {
		http.Error(w, "unknown webhook", http.StatusNotFound)
		return
	}
	var env struct {
		Data struct {
			SentAtNS int64 `json:"sent_at_ns"`
		} `json:"data"`
	}
	perr := json.Unmarshal(body, &env)
	key := deliveryKey{idx, req.Header.Get("webhook-id")}

	r.mu.Lock()
	if !now.Before(r.downFrom) && now.Before(r.downUntil) {
		r.refused++
		r.mu.Unlock()
		http.Error(w, "receiver down", http.StatusServiceUnavailable)
		return
	}
	r.received++
	n := r.seen[key] + 1
	r.seen[key] = n
	verify := n == 1 && len(r.seen)%r.verifyEvery == 1%r.verifyEvery
	if n == 1 {
		r.last = now
		if perr == nil && env.Data.SentAtNS > 0 {
			r.e2e = append(r.e2e, now.Sub(time.Unix(0, env.Data.SentAtNS)))
		} else {
			r.badBody++
		}
	}
	r.mu.Unlock()

	if verify {
		ok := r.verifiers[idx].Verify(body, req.Header) == nil
		r.mu.Lock()
		r.verified++
		if !ok {
			r.badSig++
		}
		r.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
	if n == 1 {
		select {
		case r.progress <- struct{}{}:
		default:
		}
	}
}

// downBetween takes the receiver down (503 to every request) from one time to another.
func (r *receiver) downBetween(from, until time.Time) {
	r.mu.Lock()
	r.downFrom, r.downUntil = from, until
	r.mu.Unlock()
}

// refusedCount is how many requests the outage refused.
func (r *receiver) refusedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

// has reports whether the delivery of msgID to webhook arrived.
func (r *receiver) has(webhook int, msgID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[deliveryKey{webhook, msgID}] > 0
}

// counts returns unique deliveries and every receipt so far.
func (r *receiver) counts() (unique, received int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen), r.received
}
