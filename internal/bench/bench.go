// Package bench measures Herald end to end on one machine: it brings up the embedded stack (or
// uses external PostgreSQL and Temporal), a loopback receiver, an in-process worker and API,
// publishes events closed-loop or paced, and reports deliveries per second, latencies, lost and
// duplicated deliveries, CPU per delivery, Temporal history events per delivery and, measured
// on the same Temporal server in the same run, the engine floor: the throughput of a bare
// workflow with one no-op activity.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/devstack"
	"github.com/herald-webhooks/herald/internal/postgres"
	"github.com/herald-webhooks/herald/internal/secretbox"
	"github.com/herald-webhooks/herald/internal/signing"
	"github.com/herald-webhooks/herald/internal/wire"
	"github.com/herald-webhooks/herald/starter"
	"github.com/herald-webhooks/herald/worker"
)

// Options configures a run. Zero values take the defaults noted.
type Options struct {
	Events      int     // events to publish (default 1000)
	Fanout      int     // webhooks per event (default 1)
	Concurrency int     // concurrent publishers (default 16)
	Rate        float64 // events per second; 0 publishes closed-loop
	Via         string  // "rest" (default) or "starter"

	// FloorWorkflows is how many bare workflows the engine floor runs (default: the expected
	// deliveries, between 50 and 2000); negative skips the floor.
	FloorWorkflows int
	// FloorEagerStart starts floor workflows with eager workflow start (an SDK option).
	FloorEagerStart bool
	// HistorySample is how many events' histories are counted (default 10).
	HistorySample int
	// SignatureSample is about how many deliveries get their signature verified (default 100).
	SignatureSample int
	// Timeout bounds the wait for deliveries after the last publish (default 5 minutes).
	Timeout time.Duration

	// DataDir keeps the embedded stack; empty: a temporary directory removed at the end.
	DataDir string
	// DatabaseURL and TemporalAddress select external services (HERALD_DATABASE_URL,
	// HERALD_TEMPORAL_ADDRESS); empty: the embedded ones.
	DatabaseURL, TemporalAddress, Namespace string
	// Ephemeral runs the embedded stack without durability (in-memory Temporal, PostgreSQL
	// without fsync): for the smoke test only, its figures are not the product's.
	Ephemeral bool
	// Worker is the Herald worker's options (pollers, concurrency); the floor's worker uses them too.
	Worker sdkworker.Options
	// ProfileDir, when set, receives CPU profiles of the floor (floor.pprof) and of the Herald
	// phase (herald.pprof); goroutines carry a "component" label (herald, temporal, bench).
	ProfileDir string
	// Progress receives progress lines (nil: none).
	Progress io.Writer
	// OutageAfter and Outage take the receiver down: from OutageAfter after the first publish,
	// for Outage, it answers 503 to every request (the requests are counted, not delivered).
	// Zero Outage: no outage. The webhooks keep the default auto-disable rule, so a run with
	// an outage shows whether that rule loses deliveries.
	OutageAfter, Outage time.Duration
	// Timeline, when set, receives the history of the middle published event's workflows,
	// each history event with its time since the event workflow started: where a delivery's
	// latency goes.
	Timeline io.Writer
}

// Result is what a run measured. The JSON names are the machine-readable report.
type Result struct {
	Events      int     `json:"events"`
	Fanout      int     `json:"fanout"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate"`
	Via         string  `json:"via"`
	Temporal    string  `json:"temporal"` // what Temporal ran on

	Published          int `json:"published"`
	PublishErrors      int `json:"publish_errors"`
	Deliveries         int `json:"deliveries"`
	Lost               int `json:"lost"`
	Duplicates         int `json:"duplicates"`
	SignaturesVerified int `json:"signatures_verified"`
	BadSignatures      int `json:"bad_signatures"`
	// OutageRefused counts the requests the receiver refused (503) during the outage, and
	// WebhooksDisabled the run's webhooks that were disabled at its end.
	OutageS          float64 `json:"outage_s,omitempty"`
	OutageRefused    int     `json:"outage_refused"`
	WebhooksDisabled int     `json:"webhooks_disabled"`
	ElapsedS         float64 `json:"elapsed_s"`
	DeliveriesPerS   float64 `json:"deliveries_per_s"`
	EventsPerS       float64 `json:"events_per_s"`

	PublishP50ms float64 `json:"publish_p50_ms"`
	PublishP99ms float64 `json:"publish_p99_ms"`
	E2EP50ms     float64 `json:"e2e_p50_ms"`
	E2EP90ms     float64 `json:"e2e_p90_ms"`
	E2EP99ms     float64 `json:"e2e_p99_ms"`
	E2EMaxms     float64 `json:"e2e_max_ms"`

	FloorWorkflows int     `json:"floor_workflows"`
	FloorWfPerS    float64 `json:"floor_wf_per_s"`
	FloorRatio     float64 `json:"floor_ratio"`
	// FloorCPUms is this process's CPU per floor workflow (server, worker and starters together).
	FloorCPUms float64 `json:"floor_cpu_ms_per_wf"`
	// FloorLatencyms is the median start-to-activity time of one bare workflow on an idle server.
	FloorLatencyms float64 `json:"floor_latency_ms"`

	HistoryEventsPerDelivery float64 `json:"history_events_per_delivery"`
	// Visibility writes (the workflow list rows: a start, an upsert of search attributes, a
	// close) per delivery, counted by the embedded server's task metrics; 0 with an external one.
	VisibilityWritesPerDelivery  float64 `json:"visibility_writes_per_delivery"`
	VisibilityStartsPerDelivery  float64 `json:"visibility_starts_per_delivery"`
	VisibilityUpsertsPerDelivery float64 `json:"visibility_upserts_per_delivery"`
	VisibilityClosesPerDelivery  float64 `json:"visibility_closes_per_delivery"`
	HistorySampleEvents          int     `json:"history_sample_events"`
	// WorkflowTaskStalls counts workflow task timeouts and failures in the sampled histories.
	WorkflowTaskStalls int `json:"workflow_task_stalls"`

	// CPU seconds per 1,000 deliveries during the Herald phase. Herald, the embedded Temporal
	// server and the bench's own load generator share one process; they are split by goroutine
	// labels in a CPU profile (runtime and GC time in proportion). PostgreSQL is its own
	// processes; null when it is external.
	CPUProcessPer1k  float64  `json:"cpu_s_per_1k_process"`
	CPUHeraldPer1k   float64  `json:"cpu_s_per_1k_herald"`
	CPUTemporalPer1k float64  `json:"cpu_s_per_1k_temporal"`
	CPUBenchPer1k    float64  `json:"cpu_s_per_1k_bench"`
	CPUPostgresPer1k *float64 `json:"cpu_s_per_1k_postgres"`
}

const (
	benchEventType = "bench.ping"
	labelKey       = "component"
)

func (o *Options) defaults() error {
	if o.Events == 0 {
		o.Events = 1000
	}
	if o.Fanout == 0 {
		o.Fanout = 1
	}
	if o.Concurrency == 0 {
		o.Concurrency = 16
	}
	if o.Via == "" {
		o.Via = "rest"
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.HistorySample == 0 {
		o.HistorySample = 10
	}
	if o.SignatureSample == 0 {
		o.SignatureSample = 100
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.FloorWorkflows == 0 {
		o.FloorWorkflows = min(max(o.Events*o.Fanout, 50), 2000)
	}
	switch {
	case o.Events < 1 || o.Fanout < 1 || o.Concurrency < 1:
		return errors.New("events, fanout and concurrency must be at least 1")
	case o.Fanout > 100:
		return errors.New("fanout must be at most 100")
	case o.Rate < 0:
		return errors.New("rate must not be negative")
	case o.Via != "rest" && o.Via != "starter":
		return fmt.Errorf("via must be rest or starter, not %q", o.Via)
	}
	return nil
}

func (o *Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "bench: "+format+"\n", args...)
	}
}

// labeled runs f with a component label on this goroutine and every goroutine it starts, so
// that the CPU profile tells Herald, Temporal and the load generator apart.
func labeled(ctx context.Context, component string, f func(context.Context)) {
	pprof.Do(ctx, pprof.Labels(labelKey, component), f)
}

// Run performs one benchmark run.
func Run(ctx context.Context, opts Options) (_ *Result, err error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := &Result{Events: opts.Events, Fanout: opts.Fanout, Concurrency: opts.Concurrency, Rate: opts.Rate, Via: opts.Via}

	dir := opts.DataDir
	if dir == "" && (opts.DatabaseURL == "" || opts.TemporalAddress == "") {
		if dir, err = os.MkdirTemp("", "herald-bench-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if err := os.Chmod(dir, 0o755); err != nil { // the postgres user must reach it
			return nil, err
		}
	}

	// The private PostgreSQL cluster first: the embedded Temporal may keep its state there.
	databaseURL := opts.DatabaseURL
	var pg *devstack.Postgres
	if databaseURL == "" {
		opts.logf("starting PostgreSQL")
		pg, err = devstack.StartPostgres(ctx, devstack.PostgresOptions{DataDir: filepath.Join(dir, "postgres"), Fast: opts.Ephemeral})
		if err != nil {
			return nil, err
		}
		defer pg.Stop()
		if err := pg.CreateDatabase(ctx, devstack.DatabaseName); err != nil {
			return nil, err
		}
		databaseURL = pg.URL(devstack.DatabaseName)
	}

	// Temporal: embedded here (labeled) unless external.
	var tsrv *devstack.Temporal
	temporalAddr := opts.TemporalAddress
	res.Temporal = "external " + temporalAddr
	if temporalAddr == "" {
		topts := devstack.TemporalOptions{Namespace: opts.Namespace, SearchAttributes: wire.SearchAttributes}
		switch {
		case opts.Ephemeral:
			res.Temporal = "embedded, SQLite in memory (ephemeral)"
		default:
			topts.DBFile = filepath.Join(dir, "temporal.db")
			res.Temporal = "embedded, SQLite file"
		}
		topts.Logger = slog.New(slog.DiscardHandler)
		if dir != "" {
			f, ferr := os.OpenFile(filepath.Join(dir, "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if ferr != nil {
				return nil, ferr
			}
			defer f.Close()
			topts.Logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelWarn}))
		}
		opts.logf("starting Temporal (%s)", res.Temporal)
		labeled(ctx, "temporal", func(ctx context.Context) {
			tsrv, err = devstack.StartTemporal(ctx, topts)
		})
		if err != nil {
			return nil, err
		}
		defer tsrv.Stop()
		temporalAddr = tsrv.Address()
	}

	var stack *devstack.Stack
	labeled(ctx, "herald", func(ctx context.Context) {
		stack, err = devstack.Start(ctx, devstack.StackOptions{
			DatabaseURL: databaseURL, TemporalAddress: temporalAddr, Namespace: opts.Namespace,
		})
	})
	if err != nil {
		return nil, err
	}
	defer stack.Close()
	if tsrv != nil {
		tsrv.SearchAttributesSettled() // registered with the namespace, as `herald dev` does
	}
	box, err := secretbox.New(secretbox.NewKey()) // the run's webhooks' secrets, sealed as in production
	if err != nil {
		return nil, err
	}
	stack.Store.SetSecretBox(box)
	pgPID := ""
	if pg != nil {
		pgPID = findPostmasterPID(dir)
	}

	run := fmt.Sprintf("%d", time.Now().UnixNano()%1e12)
	queue := "herald-bench-" + run
	floorQueue := "herald-bench-floor-" + run
	user := "bench_" + run
	adminKey := herald.NewID("hk_bench_")
	setup, err := prepare(ctx, stack.Store, user, adminKey, opts.Fanout)
	if err != nil {
		return nil, err
	}
	rcv, err := newReceiver(setup.secrets, max(1, opts.Events*opts.Fanout/opts.SignatureSample))
	if err != nil {
		return nil, err
	}
	labeled(ctx, "bench", func(context.Context) { err = rcv.start() })
	if err != nil {
		return nil, err
	}
	defer rcv.close()
	if err := setup.createWebhooks(ctx, stack.Store, rcv); err != nil {
		return nil, err
	}

	// The engine floor first, so that it does not overlap with the Herald phase.
	if opts.FloorWorkflows > 0 {
		opts.logf("engine floor: %d bare workflows, concurrency %d", opts.FloorWorkflows, opts.Concurrency)
		var fr *floorResult
		labeled(ctx, "floor", func(ctx context.Context) {
			fr, err = runFloor(ctx, stack.Client, floorQueue, opts.FloorWorkflows, opts.Concurrency, opts.FloorEagerStart, opts.Worker, opts.ProfileDir)
		})
		if err != nil {
			return nil, err
		}
		res.FloorWorkflows, res.FloorWfPerS = fr.Workflows, fr.PerSecond
		res.FloorLatencyms = ms(fr.Latency)
		res.FloorCPUms = round(float64(fr.CPU)/float64(time.Millisecond)/float64(fr.Workflows), 2)
		opts.logf("engine floor: %.1f workflows/s", fr.PerSecond)
	}

	// Herald: worker, publisher, API.
	logger := slog.New(slog.DiscardHandler)
	publisher := &starter.Publisher{Store: stack.Store, Temporal: stack.Client, TaskQueue: queue}
	var w sdkworker.Worker
	var apiURL string
	labeled(ctx, "herald", func(ctx context.Context) {
		acts := &activities.Activities{Store: stack.Store, HTTP: activities.NewHTTPClient(), Logger: logger, Temporal: stack.Client}
		w = worker.NewOnQueue(stack.Client, queue, acts, opts.Worker)
		if err = w.Start(); err != nil {
			return
		}
		if opts.Via == "rest" {
			apiURL, err = serveAPI(ctx, &api.Server{Store: stack.Store, Temporal: stack.Client, Logger: logger, Publisher: publisher})
		}
	})
	if err != nil {
		return nil, err
	}
	defer w.Stop()

	var pub publishFunc
	if opts.Via == "rest" {
		pub = restPublisher(apiURL, adminKey, user, opts.Concurrency)
	} else {
		pub = func(ctx context.Context, id string, sentAt time.Time) error {
			var perr error
			labeled(ctx, "herald", func(ctx context.Context) {
				_, perr = publisher.Publish(ctx, starter.Event{ID: id, Type: benchEventType, UserID: user, Data: sentData(sentAt)})
			})
			return perr
		}
	}

	mode := "closed loop"
	if opts.Rate > 0 {
		mode = fmt.Sprintf("paced at %g events/s", opts.Rate)
	}
	opts.logf("herald: %d events x %d webhooks via %s, %s, concurrency %d", opts.Events, opts.Fanout, opts.Via, mode, opts.Concurrency)
	var vis0 visibilityCounts
	if tsrv != nil {
		vis0 = settledVisibilityCounts(ctx, tsrv.MetricsURL())
	}
	var profile bytes.Buffer
	profiling := pprof.StartCPUProfile(&profile) == nil
	cpu0 := processCPU()
	pg0, pgOK := postgresCPU(pgPID)
	start := time.Now()
	if opts.Outage > 0 {
		rcv.downBetween(start.Add(opts.OutageAfter), start.Add(opts.OutageAfter+opts.Outage))
		opts.logf("receiver: down from %s to %s after the first publish", opts.OutageAfter, opts.OutageAfter+opts.Outage)
	}

	var ph *publishPhase
	labeled(ctx, "bench", func(ctx context.Context) {
		ph = publishAll(ctx, opts, run, pub)
	})
	expected := len(ph.published) * opts.Fanout
	deadline := time.Now().Add(opts.Timeout)
	for {
		unique, _ := rcv.counts()
		if unique >= expected && rcv.allArrived(ph.published, opts.Fanout) {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-rcv.progress:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	cpu1 := processCPU()
	pg1, pgOK1 := postgresCPU(pgPID)
	if profiling {
		pprof.StopCPUProfile()
		if opts.ProfileDir != "" {
			if err := os.WriteFile(filepath.Join(opts.ProfileDir, "herald.pprof"), profile.Bytes(), 0o644); err != nil {
				return nil, err
			}
		}
	}
	time.Sleep(300 * time.Millisecond) // a late duplicate still counts

	unique := res.summarize(rcv, ph, start, expected, opts.Fanout)
	res.OutageS, res.OutageRefused = opts.Outage.Seconds(), rcv.refusedCount()
	for _, id := range setup.webhookIDs {
		if w, err := stack.Store.Webhook(ctx, id); err == nil && w.Status == herald.WebhookDisabled {
			res.WebhooksDisabled++
		}
	}
	res.FloorWfPerS = round(res.FloorWfPerS, 1)

	if unique > 0 {
		per1k := func(d time.Duration) float64 { return round(d.Seconds()*1000/float64(unique), 3) }
		proc := cpu1 - cpu0
		res.CPUProcessPer1k = per1k(proc)
		res.CPUHeraldPer1k = res.CPUProcessPer1k
		if profiling {
			if by, perr := cpuByLabel(profile.Bytes(), labelKey); perr == nil {
				known := by["herald"] + by["temporal"] + by["bench"] + by["floor"]
				if known > 0 {
					share := func(d time.Duration) time.Duration { return time.Duration(float64(proc) * float64(d) / float64(known)) }
					res.CPUHeraldPer1k = per1k(share(by["herald"]))
					res.CPUTemporalPer1k = per1k(share(by["temporal"]))
					res.CPUBenchPer1k = per1k(share(by["bench"] + by["floor"]))
				}
			}
		}
		if pgOK && pgOK1 {
			v := per1k(pg1 - pg0)
			res.CPUPostgresPer1k = &v
		}
	}

	opts.logf("counting history events of %d sample events", min(opts.HistorySample, len(ph.published)))
	res.HistoryEventsPerDelivery, res.HistorySampleEvents, res.WorkflowTaskStalls = historyPerDelivery(ctx, stack.Client, ph.published, setup.webhookIDs, opts.HistorySample, rcv)
	if tsrv != nil && unique > 0 {
		d := settledVisibilityCounts(ctx, tsrv.MetricsURL()).minus(vis0)
		per := func(n float64) float64 { return round(n/float64(unique), 2) }
		res.VisibilityWritesPerDelivery = per(d.start + d.upsert + d.close)
		res.VisibilityStartsPerDelivery, res.VisibilityUpsertsPerDelivery, res.VisibilityClosesPerDelivery = per(d.start), per(d.upsert), per(d.close)
	}
	if opts.Timeline != nil && len(ph.published) > 0 {
		if err := writeTimeline(ctx, stack.Client, opts.Timeline, ph.published[len(ph.published)/2], setup.webhookIDs); err != nil {
			opts.logf("timeline: %v", err)
		}
	}
	return res, nil
}

// benchSetup is the directory entries and webhooks of one run.
type benchSetup struct {
	user       string
	secrets    []string
	webhookIDs []string
}

func prepare(ctx context.Context, st *postgres.Store, user, adminKey string, fanout int) (*benchSetup, error) {
	if err := st.UpsertEventType(ctx, herald.EventType{Name: benchEventType, Description: "herald bench", Group: "Bench"}); err != nil {
		return nil, err
	}
	if err := st.UpsertUser(ctx, herald.User{ID: user, Email: user + "@bench.invalid", Name: "bench"}); err != nil {
		return nil, err
	}
	if _, err := st.CreateAPIKey(ctx, "bench", adminKey); err != nil {
		return nil, err
	}
	s := &benchSetup{user: user}
	for range fanout {
		s.secrets = append(s.secrets, signing.NewSecret(signing.DefaultSecretPrefix))
	}
	return s, nil
}

// defaultDisableAfterFailures is the API's default consecutive-failure count of the auto-disable rule.
const defaultDisableAfterFailures = 15

// createWebhooks creates the run's webhooks, active for the bench event type, each on its own
// receiver path; their first attempts succeed, so the retry policy never runs.
func (s *benchSetup) createWebhooks(ctx context.Context, st *postgres.Store, rcv *receiver) error {
	for i, secret := range s.secrets {
		w := &herald.Webhook{
			ID: herald.NewID("wh_"), UserID: s.user, Name: fmt.Sprintf("bench %d", i), URL: rcv.url(i),
			Events: []string{benchEventType}, Status: herald.WebhookActive, Headers: map[string]string{},
			TimeoutSeconds: 30, Format: herald.FormatEnvelope, Retry: herald.DefaultRetryPolicy,
			SecretPrefix: signing.DefaultSecretPrefix, SecretHint: signing.Hint(secret),
			// The rule POST /webhooks gives a webhook that names none.
			DisableAfterFailures: defaultDisableAfterFailures, DisableAfterSeconds: int(api.DefaultDisableAfter / time.Second),
		}
		if err := st.CreateWebhook(ctx, w, secret); err != nil {
			return err
		}
		s.webhookIDs = append(s.webhookIDs, w.ID)
	}
	return nil
}

// serveAPI serves Herald's REST API on a free loopback port until ctx ends.
func serveAPI(ctx context.Context, srv *api.Server) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	hs := srv.HTTPServer()
	go func() { _ = hs.Serve(ln) }()
	go func() { <-ctx.Done(); _ = hs.Close() }()
	return "http://" + ln.Addr().String(), nil
}

type publishFunc func(ctx context.Context, id string, sentAt time.Time) error

func sentData(at time.Time) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"sent_at_ns":%d}`, at.UnixNano()))
}

func restPublisher(apiURL, key, user string, conc int) publishFunc {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conc + 8
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	return func(ctx context.Context, id string, sentAt time.Time) error {
		body, _ := json.Marshal(map[string]any{"id": id, "event": benchEventType, "user_id": user, "data": sentData(sentAt)})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"/api/v1/events", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("POST /events: %d %s", resp.StatusCode, answer)
		}
		return nil
	}
}

// publishPhase is what publishing produced: the ids published and each call's latency.
type publishPhase struct {
	published []string
	latencies []time.Duration
	errors    int
	firstErr  error
}

// publishAll publishes opts.Events events: closed-loop from opts.Concurrency publishers, or, with
// a rate, one at each scheduled time with at most opts.Concurrency in flight. In paced mode the
// event carries its scheduled time, so a publisher falling behind shows in the latency.
func publishAll(ctx context.Context, opts Options, run string, pub publishFunc) *publishPhase {
	ph := &publishPhase{}
	var mu sync.Mutex
	one := func(i int, sentAt time.Time) {
		id := fmt.Sprintf("evt_bench_%s_%d", run, i)
		t := time.Now()
		err := pub(ctx, id, sentAt)
		d := time.Since(t)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			ph.errors++
			if ph.firstErr == nil {
				ph.firstErr = err
				opts.logf("publish error (the first): %v", err)
			}
			return
		}
		ph.published = append(ph.published, id)
		ph.latencies = append(ph.latencies, d)
	}
	if opts.Rate <= 0 {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range opts.Concurrency {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= opts.Events || ctx.Err() != nil {
						return
					}
					one(i, time.Now())
				}
			})
		}
		wg.Wait()
		return ph
	}
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	t0 := time.Now()
	interval := time.Duration(float64(time.Second) / opts.Rate)
	for i := range opts.Events {
		at := t0.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			one(i, at)
		})
	}
	wg.Wait()
	return ph
}

// allArrived reports whether every published event reached every webhook.
func (r *receiver) allArrived(ids []string, fanout int) bool {
	return r.arrivedOf(ids, fanout) == len(ids)*fanout
}

func (r *receiver) arrivedOf(ids []string, fanout int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, id := range ids {
		for w := range fanout {
			if r.seen[deliveryKey{w, id}] > 0 {
				n++
			}
		}
	}
	return n
}

// historyPerDelivery counts the history events of a sample of events' workflows (the event
// workflow and its delivery children, once closed) per delivery. Events with a delivery that
// did not arrive are skipped.
func historyPerDelivery(ctx context.Context, c client.Client, ids, webhookIDs []string, sample int, rcv *receiver) (perDelivery float64, events, stalls int) {
	if len(ids) == 0 || sample <= 0 {
		return 0, 0, 0
	}
	sample = min(sample, len(ids))
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	total := 0
	for k := range sample {
		id := ids[k*len(ids)/sample]
		complete := true
		for w := range webhookIDs {
			complete = complete && rcv.has(w, id)
		}
		if !complete {
			continue
		}
		wfIDs := []string{wire.EventWorkflowID(id)}
		for _, wh := range webhookIDs {
			wfIDs = append(wfIDs, wire.DeliveryWorkflowID(id, wh))
		}
		n, st := 0, 0
		ok := true
		for _, wfID := range wfIDs {
			c, s, err := closedHistoryLength(ctx, c, wfID)
			if err != nil {
				ok = false
				break
			}
			n, st = n+c, st+s
		}
		if ok {
			total += n
			stalls += st
			events++
		}
	}
	if events == 0 {
		return 0, 0, 0
	}
	return round(float64(total)/float64(events*len(webhookIDs)), 2), events, stalls
}

// closedHistoryLength waits until the workflow closes and returns its number of history events
// and how many of them are workflow task timeouts or failures (a stall of the run).
func closedHistoryLength(ctx context.Context, c client.Client, id string) (n, stalls int, err error) {
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		return 0, 0, err
	}
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return 0, 0, err
		}
		n++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			stalls++
		}
	}
	return n, stalls, nil
}

// writeTimeline writes the history events of one event's workflows (the event workflow, then
// each delivery workflow) with their time since the event workflow's first event.
func writeTimeline(ctx context.Context, c client.Client, w io.Writer, eventID string, webhookIDs []string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	wfIDs := []string{wire.EventWorkflowID(eventID)}
	for _, wh := range webhookIDs {
		wfIDs = append(wfIDs, wire.DeliveryWorkflowID(eventID, wh))
	}
	var origin time.Time
	for _, id := range wfIDs {
		fmt.Fprintf(w, "%s\n", id)
		it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return err
			}
			at := ev.GetEventTime().AsTime()
			if origin.IsZero() {
				origin = at
			}
			fmt.Fprintf(w, "  %8.1f ms  %s\n", float64(at.Sub(origin))/float64(time.Millisecond), ev.GetEventType())
		}
	}
	return nil
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p/100*float64(len(s)) + 0.5)
	if i > 0 {
		i--
	}
	return s[min(i, len(s)-1)]
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 1) }

func round(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

// summarize fills what every run reports from the receiver and the publisher (the embedded
// stack's and the topology's alike): counts, lost and duplicated deliveries, throughput,
// latencies and the ratio to the floor. It returns the unique deliveries.
func (res *Result) summarize(rcv *receiver, ph *publishPhase, start time.Time, expected, fanout int) int {
	rcv.mu.Lock()
	last := rcv.last
	e2e := append([]time.Duration(nil), rcv.e2e...)
	res.SignaturesVerified, res.BadSignatures = rcv.verified, rcv.badSig
	rcv.mu.Unlock()
	unique, received := rcv.counts()
	res.Published, res.PublishErrors = len(ph.published), ph.errors
	res.Deliveries, res.Duplicates = unique, received-unique
	res.Lost = expected - rcv.arrivedOf(ph.published, fanout)
	elapsed := last.Sub(start)
	if elapsed <= 0 {
		elapsed = time.Since(start)
	}
	res.ElapsedS = round(elapsed.Seconds(), 3)
	res.DeliveriesPerS = round(float64(unique)/elapsed.Seconds(), 1)
	res.EventsPerS = round(float64(unique)/float64(fanout)/elapsed.Seconds(), 1)
	res.PublishP50ms, res.PublishP99ms = ms(pct(ph.latencies, 50)), ms(pct(ph.latencies, 99))
	res.E2EP50ms, res.E2EP90ms, res.E2EP99ms, res.E2EMaxms = ms(pct(e2e, 50)), ms(pct(e2e, 90)), ms(pct(e2e, 99)), ms(pct(e2e, 100))
	if res.FloorWfPerS > 0 {
		res.FloorRatio = round(res.DeliveriesPerS/res.FloorWfPerS, 3)
	}
	return unique
}

// Counts is the run's lost and duplicated deliveries: a run with either failed.
func (res *Result) Counts() (lost, duplicates int) { return res.Lost, res.Duplicates }
