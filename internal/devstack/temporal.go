package devstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	tcluster "go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", the one Temporal's SQLite plugin uses

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// TemporalOptions configures the embedded Temporal server.
type TemporalOptions struct {
	// DBFile is the SQLite file that keeps Temporal's state; empty means in memory (tests).
	DBFile string
	// Port of the frontend on 127.0.0.1 (0: a free port). The other services take free ports.
	Port int
	// UIPort of the Web UI on 127.0.0.1; 0 starts no UI.
	UIPort int
	// Namespace is created when missing (default "default").
	Namespace string
	// Retention of closed workflows in the namespace (default 7 days).
	Retention time.Duration
	// SearchAttributes registered on a namespace created here.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives the server's warnings and errors; nil discards them.
	Logger *slog.Logger
}

// Temporal is a running embedded Temporal server (and Web UI).
type Temporal struct {
	config  *dynamicConfig
	server  temporal.Server
	ui      *uiserver.Server
	address string
	uiURL   string
	metrics string
}

// MetricsURL is the server's Prometheus endpoint.
func (t *Temporal) MetricsURL() string { return t.metrics }

// SearchAttributesSettled tells the server that no search attribute is being added any more.
// Until then, every read of the search attributes goes to the database, so that attributes
// added at start-up are usable at once; after, reads use the servers' caches (refreshed every
// minute). With the reads forced, every workflow start and visibility write that carries custom
// attributes read the namespace and the cluster metadata from SQLite under one global lock.
func (t *Temporal) SearchAttributesSettled() { t.config.refreshSearchAttributes.Store(false) }

// dynamicConfig is the embedded server's dynamic configuration: fixed values, and whether
// search attribute reads bypass the caches.
type dynamicConfig struct {
	static                  dynamicconfig.StaticClient
	refreshSearchAttributes atomic.Bool
}

func (c *dynamicConfig) GetValue(key dynamicconfig.Key) []dynamicconfig.ConstrainedValue {
	if key == dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key() {
		return []dynamicconfig.ConstrainedValue{{Value: c.refreshSearchAttributes.Load()}}
	}
	return c.static.GetValue(key)
}

// Address is the frontend's host:port.
func (t *Temporal) Address() string { return t.address }

// UIURL is the Web UI's URL, empty when no UI runs.
func (t *Temporal) UIURL() string { return t.uiURL }

// StartTemporal starts a single-process Temporal server on SQLite, with the Web UI when asked.
// A file-backed server keeps its state across restarts; the schema is created on first use.
func StartTemporal(ctx context.Context, opts TemporalOptions) (*Temporal, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Retention == 0 {
		opts.Retention = 7 * 24 * time.Hour
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	const ip = "127.0.0.1"
	ports, err := freePorts(8)
	if err != nil {
		return nil, err
	}
	frontend := opts.Port
	if frontend == 0 {
		frontend = ports[0]
	} else if err := checkPortFree(ip, frontend); err != nil {
		return nil, fmt.Errorf("temporal frontend port: %w (set HERALD_TEMPORAL_PORT to another port)", err)
	}
	if opts.UIPort != 0 {
		if err := checkPortFree(ip, opts.UIPort); err != nil {
			return nil, fmt.Errorf("temporal UI port: %w (set HERALD_UI_PORT to another port)", err)
		}
	}

	sqlCfg := config.SQL{PluginName: sqliteplugin.PluginName, ConnectAttributes: map[string]string{}}
	if opts.DBFile == "" {
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
		sqlCfg.DatabaseName = "herald-" + strconv.Itoa(ports[7])
	} else {
		if err := os.MkdirAll(filepath.Dir(opts.DBFile), 0o755); err != nil {
			return nil, fmt.Errorf("temporal data dir: %w", err)
		}
		sqlCfg.DatabaseName = opts.DBFile
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		// WAL with synchronous=NORMAL: durable across process crashes, one fsync per checkpoint.
		sqlCfg.ConnectAttributes["journal_mode"] = "wal"
		sqlCfg.ConnectAttributes["synchronous"] = "1"
		sqlCfg.ConnectAttributes["busy_timeout"] = "10000"
	}
	// Visibility (the workflow lists of the UI) gets its own file, so that its writes, which
	// update full-text indexes, do not queue on the one connection that the workflow state
	// uses. A data dir from before keeps both in one file.
	visCfg := sqlCfg
	if opts.DBFile != "" && (!fileExists(opts.DBFile) || fileExists(visibilityFile(opts.DBFile))) {
		visCfg.ConnectAttributes = maps.Clone(sqlCfg.ConnectAttributes)
		visCfg.DatabaseName = visibilityFile(opts.DBFile)
		if !fileExists(visCfg.DatabaseName) {
			if err := sqlite.SetupSchema(&visCfg); err != nil {
				return nil, fmt.Errorf("temporal visibility schema: %w", err)
			}
		}
	}
	if opts.DBFile != "" {
		if err := trimVisibilityIndexes(visCfg.DatabaseName); err != nil {
			return nil, err
		}
	}
	// An in-memory database gets its schema from the SQLite plugin itself.
	if opts.DBFile != "" && !fileExists(opts.DBFile) {
		if err := sqlite.SetupSchema(&sqlCfg); err != nil {
			return nil, fmt.Errorf("temporal schema: %w", err)
		}
	} else if opts.DBFile != "" {
		if err := forgetMembers(opts.DBFile); err != nil {
			return nil, err
		}
	}
	ns, err := sqlite.NewNamespaceConfig("active", opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("temporal namespace: %w", err)
	}
	ns.Detail.Config.Retention = durationpb.New(opts.Retention)
	if err := sqlite.CreateNamespaces(&sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("temporal namespace: %w", err)
	}

	service := func(grpc, membership int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpc, MembershipPort: membership, BindOnIP: ip}}
	}
	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: ip},
			Metrics: &metrics.Config{Prometheus: &metrics.PrometheusConfig{
				ListenAddress: fmt.Sprintf("%s:%d", ip, ports[1]), HandlerPath: "/metrics",
			}},
		},
		Persistence: config.Persistence{
			DefaultStore: "main", VisibilityStore: "visibility", NumHistoryShards: 1,
			DataStores: map[string]config.DataStore{"main": {SQL: &sqlCfg}, "visibility": {SQL: &visCfg}},
		},
		ClusterMetadata: &tcluster.Config{
			EnableGlobalNamespace: false, FailoverVersionIncrement: 10,
			MasterClusterName: "active", CurrentClusterName: "active",
			ClusterInformation: map[string]tcluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: fmt.Sprintf("%s:%d", ip, frontend)},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": service(frontend, ports[2]),
			"history":  service(ports[3], ports[4]),
			"matching": service(ports[5], ports[6]),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		PublicClient: config.PublicClient{HostPort: fmt.Sprintf("%s:%d", ip, frontend)},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
	}
	workerPorts, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	cfg.Services["worker"] = service(workerPorts[0], workerPorts[1])

	t := &Temporal{config: &dynamicConfig{static: dynamicconfig.StaticClient{
		// One node serves every task queue: new tasks go to one partition, where every poller
		// waits, so more of them match at once instead of being persisted and read back (less CPU per
		// workflow: BENCHMARKS.md, "The engine floor"). Reads stay on the default 4 partitions, so tasks that an older
		// data dir left in the others are still dispatched.
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
		// The transfer queue (the tasks that hand a new workflow task to matching and start
		// child workflows) is read at most 20 times a second per shard by default, so each hop
		// waited up to 50 ms for the next read: a delivery makes three such hops. At 1000 the
		// reads follow the notifications of new tasks: lower publish-to-receive latency at the same
		// CPU per delivery (BENCHMARKS.md, "What changed, and what each change did").
		dynamicconfig.TransferProcessorMaxPollRPS.Key(): 1000,
	}}}
	t.config.refreshSearchAttributes.Store(true)
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(newTemporalLogger(logger)),
		temporal.WithDynamicConfigClient(t.config),
	)
	if err != nil {
		return nil, fmt.Errorf("temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	t.server, t.address = srv, fmt.Sprintf("%s:%d", ip, frontend)
	t.metrics = fmt.Sprintf("http://%s:%d/metrics", ip, ports[1])

	if opts.UIPort != 0 {
		uiCfg := &uiconfig.Config{
			TemporalGRPCAddress: t.address, Host: ip, Port: opts.UIPort, EnableUI: true,
			DefaultNamespace: opts.Namespace, HideLogs: true, DisableNewsFetch: true,
			CORS: uiconfig.CORS{CookieInsecure: true}, RefreshInterval: 0,
		}
		t.ui = uiserver.NewServer(uioptions.WithConfigProvider(uiCfg))
		go func() { _ = t.ui.Start() }()
		t.uiURL = fmt.Sprintf("http://%s:%d", ip, opts.UIPort)
		if err := waitHTTP(ctx, t.uiURL); err != nil {
			t.Stop()
			return nil, fmt.Errorf("temporal UI: %w", err)
		}
	}
	return t, nil
}

// Stop stops the UI and the server.
func (t *Temporal) Stop() {
	if t.ui != nil {
		t.ui.Stop()
		t.ui = nil
	}
	if t.server != nil {
		_ = t.server.Stop()
		t.server = nil
	}
}

// forgetMembers clears the membership rows of the previous run. Its services listened on other
// ports; left in place, the new server waits for them to answer before it serves (30 s and
// more after a quick restart).
func forgetMembers(dbFile string) error {
	db, err := sql.Open("sqlite", "file:"+dbFile+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open temporal db: %w", err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM cluster_membership`); err != nil {
		return fmt.Errorf("reset temporal membership: %w", err)
	}
	return nil
}

// visibilityIndexes are the indexes of Temporal's SQLite visibility table that the embedded
// stack keeps: the workflow lists of the UI and the CLI (by start and close time, ID, type,
// status, task queue, parent and root), what the server's own system workflows query
// (namespace division, batch jobs, schedules, worker deployments) and the ten Keyword columns,
// where Herald's search attributes live (the namespace maps each to one of them). The schema
// indexes every pre-allocated column, 58 in all, and every visibility write (a workflow's start,
// each search attribute upsert, its close) updates each of them and compiles that into its
// statement. Dropping the 34 that nothing here queries cut the floor's CPU per bare workflow
// (BENCHMARKS.md, "What changed, and what each change did"). A query on a column without an index still
// answers, by a scan.
var visibilityIndexes = map[string]bool{
	// the UI's and the CLI's lists
	"default_idx": true, "by_workflow_id": true, "by_workflow_type": true, "by_status": true,
	"by_task_queue": true, "by_parent_workflow_id": true, "by_root_workflow_id": true,
	// the server's own system workflows
	"by_temporal_namespace_division": true, "by_batcher_user": true, "by_temporal_scheduled_by_id": true,
	"by_temporal_schedule_paused": true, "by_temporal_worker_deployment_version": true,
	"by_temporal_workflow_versioning_behavior": true, "by_temporal_worker_deployment": true,
	// the Keyword columns, where custom keyword attributes (Herald's) are mapped
	"by_keyword_01": true, "by_keyword_02": true, "by_keyword_03": true, "by_keyword_04": true, "by_keyword_05": true,
	"by_keyword_06": true, "by_keyword_07": true, "by_keyword_08": true, "by_keyword_09": true, "by_keyword_10": true,
}

// trimVisibilityIndexes drops the visibility indexes that are not in visibilityIndexes. It runs
// at every start, so a data dir made before it is trimmed too.
func trimVisibilityIndexes(dbFile string) error {
	db, err := sql.Open("sqlite", "file:"+dbFile+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open temporal visibility db: %w", err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions_visibility' AND sql IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("list temporal visibility indexes: %w", err)
	}
	var drop []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("list temporal visibility indexes: %w", err)
		}
		if !visibilityIndexes[name] {
			drop = append(drop, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list temporal visibility indexes: %w", err)
	}
	for _, name := range drop {
		if _, err := db.Exec(`DROP INDEX IF EXISTS "` + name + `"`); err != nil {
			return fmt.Errorf("drop temporal visibility index %s: %w", name, err)
		}
	}
	return nil
}

// visibilityFile is the SQLite file of Temporal's visibility store next to the main one.
func visibilityFile(dbFile string) string {
	return strings.TrimSuffix(dbFile, filepath.Ext(dbFile)) + "-visibility" + filepath.Ext(dbFile)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// freePorts reserves n distinct free ports on loopback and releases them for the caller.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	out := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func checkPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("%s:%d is in use", ip, port)
	}
	return l.Close()
}

func waitHTTP(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// temporalLogger adapts slog to the Temporal server's logger: only warnings and errors are
// passed on, as the server's info logs are meant for its own operators.
type temporalLogger struct{ l *slog.Logger }

func newTemporalLogger(l *slog.Logger) tlog.Logger {
	return temporalLogger{l.With("component", "temporal")}
}

func (t temporalLogger) attrs(tags []tag.Tag) []any {
	out := make([]any, 0, 2*len(tags))
	for _, tg := range tags {
		out = append(out, tg.Key(), tg.Value())
	}
	return out
}
func (t temporalLogger) Debug(string, ...tag.Tag) {}
func (t temporalLogger) Info(string, ...tag.Tag)  {}
func (t temporalLogger) Warn(msg string, tags ...tag.Tag) {
	t.l.Warn(msg, t.attrs(tags)...)
}
func (t temporalLogger) Error(msg string, tags ...tag.Tag) { t.l.Error(msg, t.attrs(tags)...) }
func (t temporalLogger) DPanic(msg string, tags ...tag.Tag) {
	t.l.Error(msg, t.attrs(tags)...)
}
func (t temporalLogger) Panic(msg string, tags ...tag.Tag) {
	t.l.Error(msg, t.attrs(tags)...)
	panic(msg)
}
func (t temporalLogger) Fatal(msg string, tags ...tag.Tag) {
	t.l.Error(msg, t.attrs(tags)...)
	os.Exit(1)
}
