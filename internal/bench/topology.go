package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver of the statistics queries
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/herald-webhooks/herald/internal/topology"
)

// TopologyOptions configures a run on the production topology (internal/topology): Herald's
// PostgreSQL, a Temporal server process on its own PostgreSQL, one `herald api` and `herald
// worker` processes. The bench publishes over REST to that API, its webhooks point at the
// bench's receiver, and the engine floor runs on the same Temporal server (its worker in the
// bench process, as in a dev-stack run).
type TopologyOptions struct {
	// Options are the run's load (Events, Fanout, Concurrency, Rate, FloorWorkflows, samples,
	// Timeout, Progress); Worker configures the floor's worker only (the Herald workers are
	// processes with their defaults). Via is always rest.
	Options
	// Herald is the herald binary the topology runs; Binaries are the Temporal server and schema
	// tool (zero: built into their cache dir when missing, see topology.InstallTemporal).
	Herald   string
	Binaries topology.Binaries
	// Dir keeps the topology (clusters, configs, logs); empty: a temporary directory, removed.
	Dir string
	// Workers is the number of `herald worker` processes (default 2), HistoryShards the
	// cluster's numHistoryShards (default: the topology's), DynamicConfig the Temporal server's
	// dynamic config values.
	Workers, HistoryShards int
	DynamicConfig          map[string]any
	// TemporalPostgres are settings applied to Temporal's PostgreSQL with ALTER SYSTEM and a
	// reload before the run (only settings a reload applies).
	TemporalPostgres map[string]string
	// IdleFor is how long the idle topology's background is measured (default 20 s).
	IdleFor time.Duration
}

// TopologyResult is a Result on the production topology plus what only separate processes
// show: CPU per delivery of each process and the writes of each PostgreSQL cluster, in the
// Herald phase and, for comparison, per workflow of the floor.
type TopologyResult struct {
	*Result
	Workers          int               `json:"workers"`
	HistoryShards    int               `json:"history_shards"`
	DynamicConfig    map[string]any    `json:"dynamic_config,omitempty"`
	TemporalPostgres map[string]string `json:"temporal_postgres,omitempty"`
	// LoadAvg is /proc/loadavg's one-minute average at the start and at the end of the Herald
	// phase: the machine is shared, so figures are as measured under that load.
	LoadAvgStart float64 `json:"loadavg_start"`
	LoadAvgEnd   float64 `json:"loadavg_end"`

	// Per delivery in the Herald phase, per workflow in the floor.
	Herald Costs `json:"per_delivery"`
	Floor  Costs `json:"per_floor_workflow"`
	// Idle is the same counters per second of an idle topology (before the floor): the
	// server's own timers (shard leases, queue ack levels, task queue and membership upkeep),
	// which do not grow with deliveries. HeraldNet and FloorNet are Herald and Floor less that
	// background over their phase's duration: the cost that scales with deliveries.
	Idle      Costs `json:"idle_per_s"`
	HeraldNet Costs `json:"per_delivery_net"`
	FloorNet  Costs `json:"per_floor_workflow_net"`
}

// Costs are the resources one delivery (or one floor workflow) took, from deltas over a phase.
type Costs struct {
	// CPU milliseconds by process: temporal (the server), api, workers (all together),
	// temporal_postgres and herald_postgres (postmaster and backends), bench (this process:
	// receiver, publishers, the floor's worker).
	CPUms map[string]float64 `json:"cpu_ms"`
	// Temporal's PostgreSQL, database temporal (workflow state, history, queues):
	// transactions committed (pg_stat_database.xact_commit: read-only ones included, each
	// autocommit SELECT counts) and rows inserted + updated + deleted.
	TemporalCommits float64 `json:"temporal_commits"`
	TemporalRows    float64 `json:"temporal_rows_written"`
	// Database temporal_visibility (the workflow lists).
	VisibilityCommits float64 `json:"visibility_commits"`
	VisibilityRows    float64 `json:"visibility_rows_written"`
	// The whole Temporal cluster (both databases): write transactions (transaction ids
	// assigned: a read-only transaction takes none), WAL records, WAL full-page images, WAL
	// bytes, and WAL flushes to disk (fsyncs; one can make several concurrent commits durable).
	TemporalWriteTxns  float64 `json:"temporal_write_transactions"`
	TemporalWALRecords float64 `json:"temporal_wal_records"`
	TemporalWALFPI     float64 `json:"temporal_wal_full_page_images"`
	TemporalWALBytes   float64 `json:"temporal_wal_bytes"`
	TemporalWALSyncs   float64 `json:"temporal_wal_syncs"`
	// The Temporal server's persistence requests (its persistence_requests metric: reads and
	// writes of every service), in all and by operation.
	PersistenceRequests    float64            `json:"temporal_persistence_requests"`
	PersistenceByOperation map[string]float64 `json:"temporal_persistence_by_operation,omitempty"`
	// Herald's database.
	HeraldCommits  float64 `json:"herald_commits"`
	HeraldRows     float64 `json:"herald_rows_written"`
	HeraldWALBytes float64 `json:"herald_wal_bytes"`
}

// snapshot is the counters costs are deltas of.
type snapshot struct {
	at  time.Time
	cpu map[string]time.Duration
	pg  map[string]pgCounters // by database (temporal, temporal_visibility, herald) and "wal:<cluster>"
	vis visibilityCounts      // the Temporal server's visibility tasks
	ops map[string]float64    // the Temporal server's persistence requests by operation
}

type pgCounters struct{ commits, rows, walBytes, walSyncs, xids, walRecords, walFPI float64 }

// RunTopology brings up the production topology, runs the engine floor and then Herald's
// deliveries on it, and tears it down.
func RunTopology(ctx context.Context, opts TopologyOptions) (_ *TopologyResult, err error) {
	opts.Via = "rest"
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "herald-bench-topology-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	if opts.Binaries.TemporalServer == "" {
		opts.logf("finding the Temporal server %s (built into its cache dir when missing)", topology.TemporalVersion())
		if opts.Binaries, err = topology.InstallTemporal(ctx, topology.TemporalVersion()); err != nil {
			return nil, err
		}
	}
	var logger *slog.Logger
	if opts.Progress != nil {
		logger = slog.New(slog.NewTextHandler(opts.Progress, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	top, err := topology.Start(ctx, topology.Options{
		Dir: dir, Herald: opts.Herald, Binaries: opts.Binaries, Workers: opts.Workers, Namespace: opts.Namespace,
		HistoryShards: opts.HistoryShards, DynamicConfig: opts.DynamicConfig, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	defer top.Close()
	shards := opts.HistoryShards
	if shards == 0 {
		shards = 4 // topology's default
	}
	res := &TopologyResult{
		Result:  &Result{Events: opts.Events, Fanout: opts.Fanout, Concurrency: opts.Concurrency, Rate: opts.Rate, Via: opts.Via},
		Workers: opts.Workers, HistoryShards: shards, DynamicConfig: opts.DynamicConfig, TemporalPostgres: opts.TemporalPostgres,
	}
	res.Temporal = fmt.Sprintf("external process %s on PostgreSQL, %d history shards; %d herald worker processes, 1 herald api", topology.TemporalVersion(), shards, opts.Workers)

	temporalDB, err := sql.Open("postgres", top.TemporalDB.URL("postgres"))
	if err != nil {
		return nil, err
	}
	defer temporalDB.Close()
	heraldDB, err := sql.Open("postgres", top.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer heraldDB.Close()
	for _, k := range slices.Sorted(maps.Keys(opts.TemporalPostgres)) {
		if _, err := temporalDB.ExecContext(ctx, fmt.Sprintf("ALTER SYSTEM SET %s = '%s'", k, strings.ReplaceAll(opts.TemporalPostgres[k], "'", "''"))); err != nil {
			return nil, fmt.Errorf("temporal postgres %s: %w", k, err)
		}
	}
	if len(opts.TemporalPostgres) > 0 {
		if _, err := temporalDB.ExecContext(ctx, "SELECT pg_reload_conf()"); err != nil {
			return nil, err
		}
	}
	pids := map[string]func() []int{
		"temporal": func() []int { return []int{top.Temporal.PID()} },
		"api":      func() []int { return []int{top.API.PID()} },
		"workers": func() []int {
			var ps []int
			for _, w := range top.Workers {
				ps = append(ps, w.PID())
			}
			return ps
		},
	}
	pgPIDFiles := map[string]string{
		"temporal_postgres": pidFileUnder(filepath.Join(dir, "temporal-postgres")),
		"herald_postgres":   pidFileUnder(filepath.Join(dir, "herald-postgres")),
	}
	take := func() snapshot {
		s := snapshot{at: time.Now(), cpu: map[string]time.Duration{}, pg: map[string]pgCounters{}}
		for name, f := range pids {
			for _, pid := range f() {
				if self, _, _, ok := procTimes(pid); ok {
					s.cpu[name] += self
				}
			}
		}
		for name, f := range pgPIDFiles {
			if d, ok := postgresCPU(f); ok {
				s.cpu[name] = d
			}
		}
		s.cpu["bench"] = processCPU()
		readPGCounters(ctx, temporalDB, "temporal", s.pg)
		readPGCounters(ctx, heraldDB, "herald", s.pg)
		s.vis, _ = readVisibilityCounts(ctx, top.TemporalMetricsURL)
		s.ops = readPersistenceRequests(ctx, top.TemporalMetricsURL)
		return s
	}

	tc, err := client.DialContext(ctx, client.Options{
		HostPort: top.FrontendAddress, Namespace: opts.Namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		return nil, err
	}
	defer tc.Close()

	run := fmt.Sprintf("%d", time.Now().UnixNano()%1e12)
	user := "bench_" + run
	rcv, err := newReceiver(nil, max(1, opts.Events*opts.Fanout/opts.SignatureSample))
	if err != nil {
		return nil, err
	}
	if err := rcv.start(); err != nil {
		return nil, err
	}
	defer rcv.close()
	webhookIDs, err := setupOverREST(ctx, top.APIURL, top.AdminKey, user, opts.Fanout, rcv)
	if err != nil {
		return nil, err
	}

	if opts.IdleFor <= 0 {
		opts.IdleFor = 20 * time.Second
	}
	opts.logf("idle: %s of the topology's background", opts.IdleFor)
	i0 := settled(ctx, take)
	time.Sleep(opts.IdleFor)
	i1 := settled(ctx, take)
	idleS := i1.at.Sub(i0.at).Seconds()
	res.Idle = costs(i0, i1, 1).scaled(1 / idleS)

	if opts.FloorWorkflows > 0 {
		opts.logf("engine floor: %d bare workflows, concurrency %d", opts.FloorWorkflows, opts.Concurrency)
		s0 := settled(ctx, take)
		fr, err := runFloor(ctx, tc, "herald-bench-floor-"+run, opts.FloorWorkflows, opts.Concurrency, opts.FloorEagerStart, opts.Worker, "")
		if err != nil {
			return nil, err
		}
		s1 := settled(ctx, take)
		res.Floor = costs(s0, s1, fr.Workflows)
		res.FloorNet = res.Floor.minus(res.Idle.scaled(s1.at.Sub(s0.at).Seconds() / float64(fr.Workflows)))
		res.FloorWorkflows, res.FloorWfPerS, res.FloorLatencyms = fr.Workflows, round(fr.PerSecond, 1), ms(fr.Latency)
		res.FloorCPUms = res.Floor.CPUms["bench"]
		opts.logf("engine floor: %.1f workflows/s", fr.PerSecond)
	}

	pub := restPublisher(top.APIURL, top.AdminKey, user, opts.Concurrency)
	opts.logf("herald: %d events x %d webhooks via rest to the topology's API, concurrency %d", opts.Events, opts.Fanout, opts.Concurrency)
	res.LoadAvgStart = loadAvg()
	s0 := settled(ctx, take)
	start := time.Now()
	ph := publishAll(ctx, opts.Options, run, pub)
	expected := len(ph.published) * opts.Fanout
	for deadline := time.Now().Add(opts.Timeout); !rcv.allArrived(ph.published, opts.Fanout) && time.Now().Before(deadline) && ctx.Err() == nil; {
		select {
		case <-rcv.progress:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	res.LoadAvgEnd = loadAvg()
	time.Sleep(300 * time.Millisecond) // a late duplicate still counts
	s1 := settled(ctx, take)

	unique := res.summarize(rcv, ph, start, expected, opts.Fanout)
	if unique > 0 {
		res.Herald = costs(s0, s1, unique)
		res.HeraldNet = res.Herald.minus(res.Idle.scaled(s1.at.Sub(s0.at).Seconds() / float64(unique)))
		per1k := func(ms float64) float64 { return round(ms, 3) } // ms per delivery = s per 1k
		res.CPUHeraldPer1k = per1k(res.Herald.CPUms["api"] + res.Herald.CPUms["workers"])
		res.CPUTemporalPer1k = per1k(res.Herald.CPUms["temporal"])
		res.CPUBenchPer1k = per1k(res.Herald.CPUms["bench"])
		pg := per1k(res.Herald.CPUms["temporal_postgres"] + res.Herald.CPUms["herald_postgres"])
		res.CPUPostgresPer1k = &pg
		res.CPUProcessPer1k = res.CPUBenchPer1k
	}
	opts.logf("counting history events of %d sample events", min(opts.HistorySample, len(ph.published)))
	res.HistoryEventsPerDelivery, res.HistorySampleEvents, res.WorkflowTaskStalls = historyPerDelivery(ctx, tc, ph.published, webhookIDs, opts.HistorySample, rcv)
	if unique > 0 {
		d := s1.vis.minus(s0.vis)
		per := func(n float64) float64 { return round(n/float64(unique), 2) }
		res.VisibilityWritesPerDelivery = per(d.start + d.upsert + d.close)
		res.VisibilityStartsPerDelivery, res.VisibilityUpsertsPerDelivery, res.VisibilityClosesPerDelivery = per(d.start), per(d.upsert), per(d.close)
	}
	for _, p := range top.Processes() {
		if n := p.Crashes(); n > 0 {
			return res, fmt.Errorf("%s exited %d time(s) during the run; log %s", p.Name(), n, p.LogPath())
		}
	}
	return res, nil
}

// settled takes a snapshot once PostgreSQL's statistics have caught up: backends report their
// counters when idle, at most once a second and at the latest after 10 s, so a snapshot is
// repeated until two a second apart agree on the database counters (at most 15 s).
func settled(ctx context.Context, take func() snapshot) snapshot {
	cpuAt := take() // CPU now: the phase's end, not the wait
	last := cpuAt
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(time.Second)
		s := take()
		if maps.Equal(s.pg, last.pg) && s.vis == last.vis && maps.Equal(s.ops, last.ops) {
			last = s
			break
		}
		last = s
	}
	last.cpu, last.at = cpuAt.cpu, cpuAt.at
	return last
}

// costs turns two snapshots into resources per unit.
func costs(a, b snapshot, units int) Costs {
	n := float64(units)
	c := Costs{CPUms: map[string]float64{}}
	for k, v := range b.cpu {
		c.CPUms[k] = round(float64(v-a.cpu[k])/float64(time.Millisecond)/n, 2)
	}
	d := func(key string) pgCounters {
		x, y := a.pg[key], b.pg[key]
		return pgCounters{(y.commits - x.commits) / n, (y.rows - x.rows) / n, (y.walBytes - x.walBytes) / n, (y.walSyncs - x.walSyncs) / n,
			(y.xids - x.xids) / n, (y.walRecords - x.walRecords) / n, (y.walFPI - x.walFPI) / n}
	}
	t, v, h := d("temporal"), d("temporal_visibility"), d("herald")
	tw, hw := d("wal:temporal"), d("wal:herald")
	c.TemporalCommits, c.TemporalRows = round(t.commits, 2), round(t.rows, 2)
	c.VisibilityCommits, c.VisibilityRows = round(v.commits, 2), round(v.rows, 2)
	c.TemporalWALBytes, c.TemporalWALSyncs = round(tw.walBytes, 0), round(tw.walSyncs, 2)
	c.TemporalWriteTxns, c.TemporalWALRecords, c.TemporalWALFPI = round(tw.xids, 2), round(tw.walRecords, 2), round(tw.walFPI, 2)
	c.HeraldCommits, c.HeraldRows, c.HeraldWALBytes = round(h.commits, 2), round(h.rows, 2), round(hw.walBytes, 0)
	c.PersistenceByOperation = map[string]float64{}
	for op, v := range b.ops {
		if x := (v - a.ops[op]) / n; x != 0 {
			c.PersistenceByOperation[op] = round(x, 2)
			c.PersistenceRequests += x
		}
	}
	c.PersistenceRequests = round(c.PersistenceRequests, 2)
	return c
}

// scaled multiplies every figure by f.
func (c Costs) scaled(f float64) Costs {
	return c.combine(Costs{}, func(a, _ float64) float64 { return a * f })
}

// minus subtracts b's figures from c's.
func (c Costs) minus(b Costs) Costs {
	return c.combine(b, func(x, y float64) float64 { return x - y })
}

func (c Costs) combine(b Costs, f func(x, y float64) float64) Costs {
	r := func(x, y float64, places int) float64 { return round(f(x, y), places) }
	out := Costs{CPUms: map[string]float64{}}
	for k, v := range c.CPUms {
		out.CPUms[k] = r(v, b.CPUms[k], 2)
	}
	out.TemporalCommits, out.TemporalRows = r(c.TemporalCommits, b.TemporalCommits, 2), r(c.TemporalRows, b.TemporalRows, 2)
	out.VisibilityCommits, out.VisibilityRows = r(c.VisibilityCommits, b.VisibilityCommits, 2), r(c.VisibilityRows, b.VisibilityRows, 2)
	out.TemporalWALBytes, out.TemporalWALSyncs = r(c.TemporalWALBytes, b.TemporalWALBytes, 0), r(c.TemporalWALSyncs, b.TemporalWALSyncs, 2)
	out.TemporalWriteTxns, out.TemporalWALRecords = r(c.TemporalWriteTxns, b.TemporalWriteTxns, 2), r(c.TemporalWALRecords, b.TemporalWALRecords, 2)
	out.TemporalWALFPI = r(c.TemporalWALFPI, b.TemporalWALFPI, 2)
	out.HeraldCommits, out.HeraldRows = r(c.HeraldCommits, b.HeraldCommits, 2), r(c.HeraldRows, b.HeraldRows, 2)
	out.HeraldWALBytes = r(c.HeraldWALBytes, b.HeraldWALBytes, 0)
	out.PersistenceRequests = r(c.PersistenceRequests, b.PersistenceRequests, 2)
	out.PersistenceByOperation = map[string]float64{}
	for k := range maps.Keys(c.PersistenceByOperation) {
		out.PersistenceByOperation[k] = r(c.PersistenceByOperation[k], b.PersistenceByOperation[k], 2)
	}
	return out
}

// readPGCounters adds a cluster's per-database counters (pg_stat_database) and its WAL counters
// (pg_stat_wal, as "wal:<cluster>") to into; errors leave them out.
func readPGCounters(ctx context.Context, db *sql.DB, cluster string, into map[string]pgCounters) {
	rows, err := db.QueryContext(ctx, `SELECT datname, xact_commit, tup_inserted + tup_updated + tup_deleted
		FROM pg_stat_database WHERE datname IN ('temporal', 'temporal_visibility', 'herald')`)
	if err == nil {
		for rows.Next() {
			var name string
			var c pgCounters
			if rows.Scan(&name, &c.commits, &c.rows) == nil {
				into[name] = c
			}
		}
		rows.Close()
	}
	var w pgCounters
	// pg_snapshot_xmax of the current snapshot: the next transaction id, read without taking one.
	if db.QueryRowContext(ctx, `SELECT wal_bytes, wal_sync, wal_records, wal_fpi, pg_snapshot_xmax(pg_current_snapshot())::text::float8 FROM pg_stat_wal`).
		Scan(&w.walBytes, &w.walSyncs, &w.walRecords, &w.walFPI, &w.xids) == nil {
		into["wal:"+cluster] = w
	}
}

// readPersistenceRequests sums the server's persistence_requests counters by operation (nil
// when the endpoint does not answer).
func readPersistenceRequests(ctx context.Context, url string) map[string]float64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	ops := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "persistence_requests{") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		_, op, ok := strings.Cut(line[:sp], `operation="`)
		if !ok {
			continue
		}
		op, _, _ = strings.Cut(op, `"`)
		ops[op] += v
	}
	return ops
}

// pidFileUnder finds a cluster's postmaster.pid in its data dir (or one level below it).
func pidFileUnder(dir string) string {
	for _, pattern := range []string{"postmaster.pid", "*/postmaster.pid"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// loadAvg is the one-minute load average (0 when unknown).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// setupOverREST creates the run's event type, user and webhooks through the topology's API (the
// webhooks' secrets are sealed with the key only the API and workers hold) and gives the
// receiver their secrets.
func setupOverREST(ctx context.Context, apiURL, key, user string, fanout int, rcv *receiver) ([]string, error) {
	call := func(method, path string, in, out any) error {
		body, _ := json.Marshal(in)
		req, err := http.NewRequestWithContext(ctx, method, apiURL+"/api/v1"+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		if out != nil {
			return json.Unmarshal(b, out)
		}
		return nil
	}
	if err := call(http.MethodPut, "/event-types/"+benchEventType, map[string]any{"description": "herald bench", "group": "Bench"}, nil); err != nil {
		return nil, err
	}
	if err := call(http.MethodPut, "/users/"+user, map[string]any{"email": user + "@bench.invalid", "name": "bench"}, nil); err != nil {
		return nil, err
	}
	var ids, secrets []string
	for i := range fanout {
		var w struct {
			ID     string `json:"id"`
			Secret string `json:"secret"`
		}
		in := map[string]any{"url": rcv.url(i), "events": []string{benchEventType}, "active": true, "name": fmt.Sprintf("bench %d", i)}
		if err := call(http.MethodPost, "/users/"+user+"/webhooks", in, &w); err != nil {
			return nil, err
		}
		if w.ID == "" || w.Secret == "" {
			return nil, errors.New("POST webhooks: no id or secret in the answer")
		}
		ids, secrets = append(ids, w.ID), append(secrets, w.Secret)
	}
	v, err := newReceiver(secrets, rcv.verifyEvery)
	if err != nil {
		return nil, err
	}
	rcv.verifiers = v.verifiers // before the first publish: nothing is delivered yet
	return ids, nil
}

// WriteTable writes the run's summary: the Result's rows, then the per-process costs.
func (r *TopologyResult) WriteTable(w io.Writer) error {
	if err := r.Result.WriteTable(w); err != nil {
		return err
	}
	row := func(name string, c Costs) {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(c.CPUms)) {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, c.CPUms[k]))
		}
		fmt.Fprintf(w, "%s CPU ms: %s\n", name, strings.Join(parts, ", "))
		type opCount struct {
			op string
			n  float64
		}
		var ops []opCount
		for op, n := range c.PersistenceByOperation {
			ops = append(ops, opCount{op, n})
		}
		slices.SortFunc(ops, func(a, b opCount) int { return cmp.Compare(b.n, a.n) })
		var top []string
		for _, o := range ops[:min(6, len(ops))] {
			top = append(top, fmt.Sprintf("%s %.2f", o.op, o.n))
		}
		fmt.Fprintf(w, "%s temporal persistence requests: %.2f (%s)\n", name, c.PersistenceRequests, strings.Join(top, ", "))
		fmt.Fprintf(w, "%s writes: temporal cluster %.2f write transactions, %.2f WAL records (%.2f full pages), %.0f WAL bytes, %.2f fsyncs; rows written: temporal %.2f, visibility %.2f; transactions incl. reads: temporal %.2f, visibility %.2f; herald %.2f transactions / %.2f rows / %.0f WAL bytes\n",
			name, c.TemporalWriteTxns, c.TemporalWALRecords, c.TemporalWALFPI, c.TemporalWALBytes, c.TemporalWALSyncs, c.TemporalRows, c.VisibilityRows,
			c.TemporalCommits, c.VisibilityCommits, c.HeraldCommits, c.HeraldRows, c.HeraldWALBytes)
	}
	row("per delivery", r.Herald)
	row("per delivery, less idle", r.HeraldNet)
	row("per floor workflow", r.Floor)
	row("per floor workflow, less idle", r.FloorNet)
	row("idle, per second", r.Idle)
	_, err := fmt.Fprintf(w, "load average %.2f at the start, %.2f at the end (2 cores, shared)\n", r.LoadAvgStart, r.LoadAvgEnd)
	return err
}

// WriteJSON writes the result as one JSON line.
func (r *TopologyResult) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
