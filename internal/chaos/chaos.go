// Package chaos is Herald's fault harness: on the production topology (internal/topology:
// separate OS processes, a Temporal server on PostgreSQL, one API, two workers), it publishes at
// a steady rate over REST to a personal and an organization webhook while it crashes one
// component after another (kill -9, then a restart) or takes the receiver down, and checks
// SPEC section 9's promise after each fault: every event that got a 202 is delivered at least
// once, every delivery ends final in Herald's log, a delivery marked succeeded really arrived,
// and publishers get a 503 (never another 5xx) while a dependency is down.
package chaos

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	_ "github.com/lib/pq" // database/sql driver "postgres", for reading Herald's delivery log

	"github.com/herald-webhooks/herald/internal/topology"
)

// Options configures a run. Zero values take the defaults noted.
type Options struct {
	// Rate is events per second, published steadily during each scenario (default 10). Every
	// event goes to 2 webhooks (a personal one and the organization's).
	Rate float64
	// Events caps the events of one scenario (0: no cap, Rate x the scenario's length).
	Events int
	// Scenarios are the names of the scenarios to run, in order (default: all, see Scenarios).
	Scenarios []string
	// Before and After are how long publishing runs before the fault and after the restart
	// (default 5 s and 10 s); Down is how long a killed component stays down (default 10 s;
	// both workers stay down 20 s, the receiver 60 s).
	Before, After, Down time.Duration
	// Settle bounds the wait, after publishing ends, for every delivery to arrive and be final
	// (default 5 minutes).
	Settle time.Duration

	// Dir keeps the topology (default: a temporary directory, removed at the end).
	Dir string
	// Herald is the herald binary the topology runs (required).
	Herald string
	// Binaries are the Temporal server and schema tool (zero: topology.FindTemporal).
	Binaries topology.Binaries
	// Progress receives progress lines (nil: none).
	Progress io.Writer
}

// Scenario is one fault and how the harness undoes it.
type scenario struct {
	name, fault string
	down        func(o Options) time.Duration
	inject      func(h *harness) error
	restore     func(ctx context.Context, h *harness) error
}

// Scenarios are the names of every scenario, in the order a run takes them.
func Scenarios() []string {
	var names []string
	for _, s := range scenarios {
		names = append(names, s.name)
	}
	return names
}

var scenarios = []scenario{
	{
		name: "worker", fault: "kill -9 one of the two workers",
		down:    func(o Options) time.Duration { return o.Down },
		inject:  func(h *harness) error { return h.top.Workers[0].Kill() },
		restore: func(ctx context.Context, h *harness) error { return h.top.Workers[0].Start(ctx) },
	},
	{
		name: "workers", fault: "kill -9 both workers, restart after 20 s",
		down:    func(Options) time.Duration { return 20 * time.Second },
		inject:  func(h *harness) error { return each(h.top.Workers, (*topology.Process).Kill) },
		restore: func(ctx context.Context, h *harness) error { return eachCtx(ctx, h.top.Workers) },
	},
	{
		name: "api", fault: "kill -9 the API",
		down:    func(o Options) time.Duration { return o.Down },
		inject:  func(h *harness) error { return h.top.API.Kill() },
		restore: func(ctx context.Context, h *harness) error { return h.top.API.Start(ctx) },
	},
	{
		name: "temporal", fault: "kill -9 the Temporal server",
		down:    func(o Options) time.Duration { return o.Down },
		inject:  func(h *harness) error { return h.top.Temporal.Kill() },
		restore: func(ctx context.Context, h *harness) error { return h.top.Temporal.Start(ctx) },
	},
	{
		name: "herald-postgres", fault: "kill -9 Herald's PostgreSQL",
		down:    func(o Options) time.Duration { return o.Down },
		inject:  func(h *harness) error { return h.top.HeraldDB.Kill() },
		restore: func(ctx context.Context, h *harness) error { return h.top.HeraldDB.Start(ctx) },
	},
	{
		name: "temporal-postgres", fault: "kill -9 Temporal's PostgreSQL",
		down:    func(o Options) time.Duration { return o.Down },
		inject:  func(h *harness) error { return h.top.TemporalDB.Kill() },
		restore: func(ctx context.Context, h *harness) error { return h.top.TemporalDB.Start(ctx) },
	},
	{
		name: "receiver", fault: "receiver down 60 s: 30 s refusing connections, 30 s answering 503",
		down: func(Options) time.Duration { return 60 * time.Second },
		inject: func(h *harness) error {
			h.rcv.refuse()
			go func() {
				time.Sleep(30 * time.Second)
				_ = h.rcv.answer(503)
			}()
			return nil
		},
		// scenario brings the receiver back when the down time is over, whatever the fault.
		restore: func(context.Context, *harness) error { return nil },
	},
}

func each(ps []*topology.Process, f func(*topology.Process) error) error {
	var errs []error
	for _, p := range ps {
		errs = append(errs, f(p))
	}
	return errors.Join(errs...)
}

func eachCtx(ctx context.Context, ps []*topology.Process) error {
	var errs []error
	for _, p := range ps {
		errs = append(errs, p.Start(ctx))
	}
	return errors.Join(errs...)
}

func (o *Options) defaults() error {
	if o.Rate == 0 {
		o.Rate = 10
	}
	if o.Before == 0 {
		o.Before = 5 * time.Second
	}
	if o.After == 0 {
		o.After = 10 * time.Second
	}
	if o.Down == 0 {
		o.Down = 10 * time.Second
	}
	if o.Settle == 0 {
		o.Settle = 5 * time.Minute
	}
	if len(o.Scenarios) == 0 {
		o.Scenarios = Scenarios()
	}
	switch {
	case o.Rate < 0 || o.Rate > 200:
		return errors.New("chaos: rate must be between 0 and 200 events/s")
	case o.Events < 0:
		return errors.New("chaos: events must not be negative")
	case o.Herald == "":
		return errors.New("chaos: the herald binary is required")
	}
	for _, name := range o.Scenarios {
		if !slices.Contains(Scenarios(), name) {
			return fmt.Errorf("chaos: unknown scenario %q (scenarios: %s)", name, strings.Join(Scenarios(), ", "))
		}
	}
	return nil
}

func (o *Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "chaos: %s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
	}
}

// Result is what a run measured, scenario by scenario.
type Result struct {
	Rate      float64          `json:"rate"`
	Temporal  string           `json:"temporal"`
	Scenarios []ScenarioResult `json:"scenarios"`
	// OK: every scenario ended with nothing lost, nothing non-final, no delivery marked
	// succeeded that did not arrive, no bad signature and no 5xx other than 503.
	OK bool `json:"ok"`
}

// ScenarioResult is one scenario's figures.
type ScenarioResult struct {
	Name  string `json:"scenario"`
	Fault string `json:"fault"`
	// Published is the events tried; Accepted those that got a 202 (after retries of 503s and
	// lost answers); Refused those that never did, with their last answers.
	Published int            `json:"published"`
	Accepted  int            `json:"accepted"`
	Refused   map[string]int `json:"refused"`
	// Expected is 2 per accepted event; ReceivedUnique the distinct (webhook, webhook-id) the
	// receiver answered 200; Lost = Expected - ReceivedUnique; Duplicates the 200s beyond the first.
	Expected       int `json:"expected_deliveries"`
	ReceivedUnique int `json:"received_unique"`
	Lost           int `json:"lost"`
	Duplicates     int `json:"duplicates"`
	// NotFinal counts expected deliveries that are not succeeded, failed or cancelled in
	// Herald's log (or not there at all); SucceededNotReceived the ones marked succeeded that
	// the receiver never answered 200.
	NotFinal             int `json:"not_final"`
	SucceededNotReceived int `json:"succeeded_not_received"`
	// AttemptRows are the automatic attempts in Herald's log; Requests the requests that reached
	// the receiver (answered 200, 503 or 401). Refused connections are attempts, not requests.
	AttemptRows int `json:"attempt_rows"`
	Requests    int `json:"received_requests"`
	// AnswersDuringFault counts the API's answers to publishes sent from the fault until the
	// component was ready again ("no answer": refused or reset); Answers every answer.
	AnswersDuringFault map[string]int `json:"answers_during_fault"`
	Answers            map[string]int `json:"answers"`
	// SlowestAnswerS is the longest a publish waited for an answer during the fault.
	SlowestAnswerS float64 `json:"slowest_answer_during_fault_s"`
	// Defects: answers 500-599 other than 503; BadSignatures: requests that failed verification.
	Defects       int `json:"defects"`
	BadSignatures int `json:"bad_signatures"`
	// Crashes are exits of processes the harness did not kill (it starts them again, as a
	// supervisor would).
	Crashes map[string]int `json:"crashes"`
	// DownS is how long the component was down (kill to ready again); SettleS the time from
	// the end of publishing until everything arrived and was final; Settled whether it did
	// within the settle timeout.
	DownS   float64 `json:"down_s"`
	SettleS float64 `json:"settle_s"`
	Settled bool    `json:"settled"`
}

// ok reports whether the scenario kept the promise.
func (s ScenarioResult) ok() bool {
	return s.Lost == 0 && s.NotFinal == 0 && s.SucceededNotReceived == 0 && s.Defects == 0 && s.BadSignatures == 0 && s.Settled
}

const (
	eventType = "chaos.ping"
	userID    = "u_chaos"
	orgID     = "org_chaos"
)

// harness is one run's topology, receiver and webhooks.
type harness struct {
	opts     Options
	top      *topology.Topology
	rcv      *receiver
	db       *sql.DB
	dests    map[string]string // webhook id -> receiver destination
	run      string
	superMu  sync.Mutex
	crashed  map[string]int // restarts by the supervisor, by process
	lastSeen map[string]int // crashes already handled, by process
}

// Run brings the topology up, runs the scenarios in turn and tears everything down.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	dir := opts.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "herald-chaos-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	opts.logf("bringing up the topology in %s", dir)
	top, err := topology.Start(ctx, topology.Options{Dir: dir, Herald: opts.Herald, Binaries: opts.Binaries})
	if err != nil {
		return nil, err
	}
	defer top.Close()
	h := &harness{opts: opts, top: top, run: fmt.Sprint(time.Now().Unix() % 1e6), dests: map[string]string{},
		crashed: map[string]int{}, lastSeen: map[string]int{}}
	if h.db, err = sql.Open("postgres", top.DatabaseURL); err != nil {
		return nil, err
	}
	defer h.db.Close()
	if h.rcv, err = newReceiver(); err != nil {
		return nil, err
	}
	defer h.rcv.close()
	if err := h.setUp(ctx); err != nil {
		return nil, err
	}
	sctx, stopSupervisor := context.WithCancel(ctx)
	defer stopSupervisor()
	go h.supervise(sctx)

	res := &Result{Rate: opts.Rate, Temporal: "server " + topology.TemporalVersion() + " on PostgreSQL, separate process", OK: true}
	for _, name := range opts.Scenarios {
		i := slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })
		sr, err := h.scenario(ctx, scenarios[i])
		if err != nil {
			return res, fmt.Errorf("scenario %s: %w", name, err)
		}
		res.Scenarios = append(res.Scenarios, sr)
		res.OK = res.OK && sr.ok()
		opts.logf("%s: accepted %d, expected %d, received %d, lost %d, not final %d", sr.Name, sr.Accepted, sr.Expected, sr.ReceivedUnique, sr.Lost, sr.NotFinal)
	}
	return res, nil
}

// setUp creates the directory entries, the event type and the two webhooks over REST, and
// waits until a first event reaches both.
func (h *harness) setUp(ctx context.Context) error {
	api, key := h.top.APIURL, h.top.AdminKey
	calls := []struct {
		method, path string
		body         any
	}{
		{"PUT", "/users/" + userID, map[string]any{"email": "chaos@example.invalid", "name": "Chaos"}},
		{"PUT", "/organizations/" + orgID, map[string]any{"name": "Chaos"}},
		{"PUT", "/organizations/" + orgID + "/members/" + userID, map[string]any{"role": "admin"}},
		{"PUT", "/event-types/" + eventType, map[string]any{"description": "herald chaos", "group": "Chaos"}},
	}
	for _, c := range calls {
		if err := apiCall(ctx, api, key, c.method, c.path, c.body, 200, nil); err != nil {
			return fmt.Errorf("set up: %w", err)
		}
	}
	// Retries start after 2 s and back off to 30 s, so that a scenario settles in minutes; the
	// default policy (1 minute doubling to 2 hours) behaves the same, later.
	for dest, path := range map[string]string{"personal": "/users/" + userID + "/webhooks", "org": "/organization/" + orgID + "/webhooks"} {
		var w struct{ ID, Secret string }
		err := apiCall(ctx, api, key, "POST", path, map[string]any{
			"name": "chaos " + dest, "url": h.rcv.url(dest), "events": []string{eventType}, "active": true,
			"retry": map[string]any{"max_attempts": 30, "initial_interval_seconds": 2, "backoff_coefficient": 2, "max_interval_seconds": 30},
		}, 201, &w)
		if err != nil {
			return fmt.Errorf("set up: %w", err)
		}
		if err := h.rcv.verify(dest, w.Secret); err != nil {
			return err
		}
		h.dests[w.ID] = dest
	}
	// A first event through the whole chain: the servers' caches know everything once it arrives.
	prefix := "evt_chaos_" + h.run + "_warmup_"
	p := newPublisher(api, key, userID, eventType)
	deadline := time.Now().Add(3 * time.Minute)
	p.publish(ctx, prefix+"0", func() time.Time { return deadline })
	for !(h.rcv.has("personal", prefix+"0") && h.rcv.has("org", prefix+"0")) {
		if time.Now().After(deadline) {
			_, _, refused, _ := p.snapshot()
			return fmt.Errorf("set up: the first event did not reach both webhooks in 3 minutes (publish: %v)", refused)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.rcv.progress:
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// supervise starts again, as systemd or Kubernetes would, any process that exited without the
// harness killing it; the scenario reports it.
func (h *harness) supervise(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		for _, p := range h.top.Processes() {
			h.superMu.Lock()
			n := p.Crashes()
			if n > h.lastSeen[p.Name()] && !p.Running() {
				h.lastSeen[p.Name()] = n
				h.crashed[p.Name()]++
				h.superMu.Unlock()
				h.opts.logf("%s exited on its own; starting it again (log %s)", p.Name(), p.LogPath())
				if err := p.Start(ctx); err != nil {
					h.opts.logf("restart %s: %v", p.Name(), err)
				}
				continue
			}
			h.superMu.Unlock()
		}
	}
}

func (h *harness) takeCrashes() map[string]int {
	h.superMu.Lock()
	defer h.superMu.Unlock()
	c := h.crashed
	h.crashed = map[string]int{}
	return c
}

// scenario publishes, injects the fault, restores, keeps publishing, waits for the system to
// settle, and measures.
func (h *harness) scenario(ctx context.Context, sc scenario) (ScenarioResult, error) {
	o := h.opts
	sr := ScenarioResult{Name: sc.name, Fault: sc.fault}
	h.takeCrashes()
	prefix := fmt.Sprintf("evt_chaos_%s_%s_", h.run, strings.ReplaceAll(sc.name, "-", "_"))
	p := newPublisher(h.top.APIURL, h.top.AdminKey, userID, eventType)
	stop := make(chan struct{})
	var publishEnd time.Time
	var endMu sync.Mutex
	retryUntil := func() time.Time {
		endMu.Lock()
		defer endMu.Unlock()
		if publishEnd.IsZero() {
			return time.Now().Add(time.Hour)
		}
		return publishEnd.Add(time.Minute)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.run(ctx, prefix, o.Rate, o.Events, stop, retryUntil)
	}()
	o.logf("%s: publishing at %g events/s", sc.name, o.Rate)
	if err := sleep(ctx, o.Before); err != nil {
		return sr, err
	}
	o.logf("%s: %s", sc.name, sc.fault)
	p.setPhase(during)
	faultAt := time.Now()
	if err := sc.inject(h); err != nil {
		return sr, err
	}
	if err := sleep(ctx, sc.down(o)); err != nil {
		return sr, err
	}
	if err := h.rcv.answer(0); err != nil { // the receiver comes back, whatever the scenario
		return sr, err
	}
	if err := sc.restore(ctx, h); err != nil {
		return sr, err
	}
	p.setPhase(after)
	sr.DownS = round1(time.Since(faultAt).Seconds())
	o.logf("%s: restored after %.1f s", sc.name, sr.DownS)
	if err := sleep(ctx, o.After); err != nil {
		return sr, err
	}
	close(stop)
	endMu.Lock()
	publishEnd = time.Now()
	endMu.Unlock()
	<-done // the last retries of refused publishes end a minute after publishing

	tried, accepted, refused, answers := p.snapshot()
	sr.Published, sr.Accepted = tried, len(accepted)
	sr.Expected = 2 * len(accepted)
	sr.Refused = map[string]int{}
	for _, a := range refused {
		sr.Refused[a]++
	}
	sr.AnswersDuringFault = answers[during]
	sr.SlowestAnswerS = round1(p.slowestAnswer(during).Seconds())
	sr.Answers = map[string]int{}
	for _, m := range answers {
		for k, v := range m {
			sr.Answers[k] += v
			if strings.HasPrefix(k, "5") && k != "503" {
				sr.Defects += v
			}
		}
	}

	o.logf("%s: waiting up to %s for %d deliveries to arrive and be final", sc.name, o.Settle, sr.Expected)
	settleStart := time.Now()
	deadline := settleStart.Add(o.Settle)
	for {
		lg, err := h.deliveryLog(ctx, prefix)
		t := h.rcv.count(prefix, accepted)
		if err == nil {
			h.fill(&sr, lg, t, accepted)
			sr.AttemptRows, err = h.attemptRows(ctx, prefix)
		}
		if err == nil {
			if sr.Lost == 0 && sr.NotFinal == 0 {
				sr.Settled = true
				break
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if err != nil {
				return sr, fmt.Errorf("read the delivery log: %w", err)
			}
			break
		}
		select {
		case <-ctx.Done():
		case <-h.rcv.progress:
		case <-time.After(time.Second):
		}
	}
	sr.SettleS = round1(time.Since(settleStart).Seconds())
	if err := sleep(ctx, 2*time.Second); err != nil { // a late duplicate still counts
		return sr, err
	}
	if lg, err := h.deliveryLog(ctx, prefix); err == nil {
		h.fill(&sr, lg, h.rcv.count(prefix, accepted), accepted)
	}
	if n, err := h.attemptRows(ctx, prefix); err == nil {
		sr.AttemptRows = n
	}
	sr.Crashes = h.takeCrashes()
	return sr, nil
}

// logEntry is one delivery of Herald's log.
type logEntry struct {
	eventID, dest, status string
}

// deliveryLog reads the scenario's deliveries and automatic attempts from Herald's database.
func (h *harness) deliveryLog(ctx context.Context, prefix string) (entries []logEntry, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rows, err := h.db.QueryContext(ctx, `SELECT event_id, webhook_id, status FROM deliveries WHERE event_id LIKE $1`, prefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var e logEntry
		var webhookID string
		if err := rows.Scan(&e.eventID, &webhookID, &e.status); err != nil {
			return nil, err
		}
		e.dest = h.dests[webhookID]
		entries = append(entries, e)
	}
	return entries, rows.Err()
}

func (h *harness) attemptRows(ctx context.Context, prefix string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var n int
	err := h.db.QueryRowContext(ctx, `SELECT count(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
		WHERE d.event_id LIKE $1 AND a.trigger = 'auto'`, prefix+"%").Scan(&n)
	return n, err
}

// fill computes the scenario's delivery figures from the log and the receiver's tally.
func (h *harness) fill(sr *ScenarioResult, lg []logEntry, t tally, accepted map[string]bool) {
	sr.ReceivedUnique, sr.Requests, sr.BadSignatures = t.unique, t.requests, t.badSig
	sr.Lost = sr.Expected - t.unique
	sr.Duplicates = t.ok - t.unique
	final := 0
	sr.SucceededNotReceived = 0
	for _, e := range lg {
		if !accepted[e.eventID] {
			continue
		}
		// The log's final statuses (pending and held are not).
		switch e.status {
		case "succeeded", "failed", "cancelled":
			final++
		}
		if e.status == "succeeded" && !h.rcv.has(e.dest, e.eventID) {
			sr.SucceededNotReceived++
		}
	}
	sr.NotFinal = sr.Expected - final
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }
