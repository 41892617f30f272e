// Package topology brings up Herald's production shape on one machine, every part its own OS
// process on loopback: Herald's PostgreSQL; a second PostgreSQL for Temporal; a real Temporal
// server (go.temporal.io/server/cmd/server, the version go.mod names) on PostgreSQL persistence,
// its schemas set up by Temporal's own schema tool; `herald migrate`; one `herald api`; and
// `herald worker`s. Every part can be killed (SIGKILL) and started again on the same ports and
// data, which is what the fault harness (internal/chaos) does, and what the production
// benchmark measures on.
package topology

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/devstack"
	"github.com/herald-webhooks/herald/internal/secretbox"
	"github.com/herald-webhooks/herald/workflows"
)

// Options configures a topology.
type Options struct {
	// Dir receives everything: the two PostgreSQL clusters, Temporal's config, the logs (logs/).
	// It must be new or empty, and reachable by the postgres user when running as root.
	Dir string
	// Herald is the herald binary that runs migrate, api and worker.
	Herald string
	// Binaries are the Temporal server and schema tool (zero: FindTemporal of TemporalVersion).
	Binaries Binaries
	// Workers is the number of `herald worker` processes (default 2).
	Workers int
	// Namespace is the Temporal namespace, registered here (default "default").
	Namespace string
	// HistoryShards is the Temporal cluster's numHistoryShards, fixed for a cluster's life
	// (default 4).
	HistoryShards int
	// DynamicConfig adds values to the Temporal server's dynamic config file (key: value).
	DynamicConfig map[string]any
	// HeraldEnv is added to the environment of the herald processes (e.g. HERALD_LOG_LEVEL=debug).
	HeraldEnv []string
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Topology is a running production shape.
type Topology struct {
	Dir string
	// HeraldDB is Herald's PostgreSQL, TemporalDB Temporal's (databases temporal and
	// temporal_visibility): separate clusters, so that a crash of one leaves the other up.
	HeraldDB, TemporalDB *Database
	Temporal             *Process
	API                  *Process
	Workers              []*Process

	// DatabaseURL is Herald's database; FrontendAddress Temporal's frontend (host:port).
	DatabaseURL     string
	FrontendAddress string
	Namespace       string
	// APIURL is the API's base URL (http://127.0.0.1:port), AdminKey an admin key it accepts.
	APIURL   string
	AdminKey string
	// TemporalMetricsURL is the server's Prometheus endpoint; WorkerMetricsURLs the workers'.
	TemporalMetricsURL string
	WorkerMetricsURLs  []string
	// Commands is every command line the bring-up ran or runs, in order, for documentation.
	Commands []string

	opts      Options
	heraldEnv []string
	logger    *slog.Logger
}

// ports of the Temporal server's services, plus Herald's.
type ports struct {
	frontend, frontendMembership, history, historyMembership, matching, matchingMembership,
	worker, workerMembership, metrics, api int
	workerMetrics []int
}

// Start brings the topology up, in order: the two PostgreSQL clusters, Temporal's schemas,
// the Temporal server and namespace, `herald migrate`, the workers, the API. On error,
// whatever was started is stopped.
func Start(ctx context.Context, opts Options) (_ *Topology, err error) {
	if opts.Dir == "" || opts.Herald == "" {
		return nil, errors.New("topology: Dir and Herald are required")
	}
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.HistoryShards == 0 {
		opts.HistoryShards = 4
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Binaries.TemporalServer == "" {
		if opts.Binaries, err = FindTemporal(ctx, TemporalVersion()); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, "logs"), 0o755); err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	if err := os.Chmod(opts.Dir, 0o755); err != nil { // the postgres user must reach the clusters
		return nil, fmt.Errorf("topology: %w", err)
	}
	t := &Topology{Dir: opts.Dir, Namespace: opts.Namespace, opts: opts, logger: logger}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	p, err := freePorts(opts.Workers)
	if err != nil {
		return nil, err
	}

	logger.Info("starting Herald's PostgreSQL")
	if t.HeraldDB, err = startDatabase(ctx, "herald-postgres", filepath.Join(opts.Dir, "herald-postgres"), logger); err != nil {
		return nil, err
	}
	if err := t.HeraldDB.pg.CreateDatabase(ctx, "herald"); err != nil {
		return nil, err
	}
	t.DatabaseURL = t.HeraldDB.URL("herald")
	logger.Info("starting Temporal's PostgreSQL")
	if t.TemporalDB, err = startDatabase(ctx, "temporal-postgres", filepath.Join(opts.Dir, "temporal-postgres"), logger); err != nil {
		return nil, err
	}
	logger.Info("setting up Temporal's schemas (temporal-sql-tool)")
	if err := t.setupTemporalSchemas(ctx); err != nil {
		return nil, err
	}

	t.FrontendAddress = "127.0.0.1:" + strconv.Itoa(p.frontend)
	t.TemporalMetricsURL = fmt.Sprintf("http://127.0.0.1:%d/metrics", p.metrics)
	cfgPath, err := t.writeTemporalConfig(p)
	if err != nil {
		return nil, err
	}
	t.Temporal = newProcess("temporal", opts.Binaries.TemporalServer,
		[]string{"--config-file", cfgPath, "--allow-no-auth", "start"}, os.Environ(),
		t.logPath("temporal"), t.temporalReady)
	t.record(t.Temporal.Command()...)
	logger.Info("starting the Temporal server", "frontend", t.FrontendAddress)
	if err := t.Temporal.Start(ctx); err != nil {
		return nil, err
	}
	if err := t.registerNamespace(ctx); err != nil {
		return nil, err
	}

	t.AdminKey = herald.NewID("hk_")
	t.heraldEnv = append(os.Environ(),
		"HERALD_DATABASE_URL="+t.DatabaseURL,
		"HERALD_TEMPORAL_ADDRESS="+t.FrontendAddress,
		"HERALD_TEMPORAL_NAMESPACE="+opts.Namespace,
		"HERALD_SECRET_KEY="+secretbox.EncodeKey(secretbox.NewKey()),
		// The receivers of a topology on one machine are on loopback, over plain HTTP.
		"HERALD_ALLOW_HTTP=true", "HERALD_ALLOW_LOOPBACK=true",
	)
	t.heraldEnv = append(t.heraldEnv, opts.HeraldEnv...)
	logger.Info("herald migrate")
	if err := t.migrate(ctx); err != nil {
		return nil, err
	}
	for i := range opts.Workers {
		addr := "127.0.0.1:" + strconv.Itoa(p.workerMetrics[i])
		metricsURL := "http://" + addr + "/metrics"
		w := newProcess(fmt.Sprintf("worker-%d", i+1), opts.Herald, []string{"worker"},
			append(t.heraldEnv[:len(t.heraldEnv):len(t.heraldEnv)], "HERALD_METRICS_ADDR="+addr),
			t.logPath(fmt.Sprintf("worker-%d", i+1)), httpReady(metricsURL, http.StatusOK))
		t.record("HERALD_METRICS_ADDR=" + addr + " " + strings.Join(w.Command(), " "))
		logger.Info("starting " + w.Name())
		if err := w.Start(ctx); err != nil {
			return nil, err
		}
		t.Workers = append(t.Workers, w)
		t.WorkerMetricsURLs = append(t.WorkerMetricsURLs, metricsURL)
	}
	apiAddr := "127.0.0.1:" + strconv.Itoa(p.api)
	t.APIURL = "http://" + apiAddr
	t.API = newProcess("api", opts.Herald, []string{"api"},
		append(t.heraldEnv[:len(t.heraldEnv):len(t.heraldEnv)], "HERALD_API_ADDR="+apiAddr, "HERALD_ADMIN_KEY="+t.AdminKey),
		t.logPath("api"), httpReady(t.APIURL+"/readyz", http.StatusOK))
	t.record("HERALD_API_ADDR=" + apiAddr + " HERALD_ADMIN_KEY=... " + strings.Join(t.API.Command(), " "))
	logger.Info("starting the API", "url", t.APIURL)
	if err := t.API.Start(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// Components are the parts the fault harness can crash, in start order.
func (t *Topology) Components() []Component {
	cs := []Component{t.HeraldDB, t.TemporalDB, t.Temporal}
	for _, w := range t.Workers {
		cs = append(cs, w)
	}
	return append(cs, t.API)
}

// Processes are the topology's OS processes other than PostgreSQL.
func (t *Topology) Processes() []*Process {
	ps := []*Process{t.Temporal}
	ps = append(ps, t.Workers...)
	return append(ps, t.API)
}

// Close stops everything, in the reverse order of the start.
func (t *Topology) Close() {
	var stop []Component
	if t.API != nil {
		stop = append(stop, t.API)
	}
	for i := len(t.Workers) - 1; i >= 0; i-- {
		stop = append(stop, t.Workers[i])
	}
	if t.Temporal != nil {
		stop = append(stop, t.Temporal)
	}
	if t.TemporalDB != nil {
		stop = append(stop, t.TemporalDB)
	}
	if t.HeraldDB != nil {
		stop = append(stop, t.HeraldDB)
	}
	for _, c := range stop {
		if err := c.Stop(); err != nil {
			t.logger.Warn("topology: stop", "component", c.Name(), "error", err)
		}
	}
}

func (t *Topology) logPath(name string) string { return filepath.Join(t.Dir, "logs", name+".log") }

// record notes a command line of the bring-up, with the database password masked.
func (t *Topology) record(args ...string) {
	s := strings.Join(args, " ")
	for _, db := range []*Database{t.HeraldDB, t.TemporalDB} {
		if db != nil && db.password != "" {
			s = strings.ReplaceAll(s, db.password, "...")
		}
	}
	t.Commands = append(t.Commands, s)
}

// setupTemporalSchemas creates Temporal's two databases and their schemas with the schema
// tool, as Temporal's admin-tools image does: create-database, setup-schema -v 0.0 (the version
// table), update-schema to the newest version the server's module ships.
func (t *Topology) setupTemporalSchemas(ctx context.Context) error {
	conn := []string{"--plugin", "postgres12", "--endpoint", "127.0.0.1", "--port", strconv.Itoa(t.TemporalDB.Port()),
		"--user", t.TemporalDB.user, "--password", t.TemporalDB.password}
	for _, s := range []struct{ db, dir string }{
		{"temporal", "temporal"}, {"temporal_visibility", "visibility"},
	} {
		versioned := filepath.Join(t.opts.Binaries.SchemaDir, "postgresql", "v12", s.dir, "versioned")
		for _, cmd := range [][]string{
			{"create-database"},
			{"setup-schema", "-v", "0.0"},
			{"update-schema", "-d", versioned},
		} {
			args := append(append(conn[:len(conn):len(conn)], "--database", s.db), cmd...)
			t.record(append([]string{t.opts.Binaries.TemporalSQLTool}, args...)...)
			c := exec.CommandContext(ctx, t.opts.Binaries.TemporalSQLTool, args...)
			if out, err := c.CombinedOutput(); err != nil {
				return fmt.Errorf("temporal-sql-tool %s on %s: %w\n%s", cmd[0], s.db, err, out)
			}
		}
	}
	return nil
}

// dial connects a client to the frontend (no retries: the callers poll).
func (t *Topology) dial(ctx context.Context) (client.Client, error) {
	return client.DialContext(ctx, client.Options{
		HostPort: t.FrontendAddress, Namespace: t.Namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
}

// temporalReady waits until the frontend answers, and, once the namespace exists, describes it
// (a read of the persistence).
func (t *Topology) temporalReady(ctx context.Context) error {
	return poll(ctx, 2*time.Minute, func(ctx context.Context) error {
		c, err := t.dial(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: t.Namespace})
		var nf *serviceerror.NamespaceNotFound
		if errors.As(err, &nf) {
			return nil // the first start: registerNamespace follows
		}
		return err
	})
}

// registerNamespace registers the namespace (as `temporal operator namespace create` does),
// with a retention of 3 days.
func (t *Topology) registerNamespace(ctx context.Context) error {
	t.record("temporal operator namespace create --namespace " + t.Namespace + " --retention 72h --address " + t.FrontendAddress)
	return poll(ctx, time.Minute, func(ctx context.Context) error {
		c, err := t.dial(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace: t.Namespace, WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return err
		}
		_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: t.Namespace})
		return err
	})
}

// migrate runs `herald migrate` until it succeeds (the frontend learns of a new namespace
// within seconds), then waits until a workflow carrying Herald's search attributes starts:
// the servers' caches of the attributes migrate added refresh on their own schedule.
func (t *Topology) migrate(ctx context.Context) error {
	t.record(t.opts.Herald + " migrate")
	logPath := t.logPath("migrate")
	err := poll(ctx, 2*time.Minute, func(ctx context.Context) error {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		cmd := exec.CommandContext(ctx, t.opts.Herald, "migrate")
		cmd.Env, cmd.Stdout, cmd.Stderr = t.heraldEnv, f, f
		return cmd.Run()
	})
	if err != nil {
		return fmt.Errorf("herald migrate: %w; last lines of %s:\n%s", err, logPath, tail(logPath, 20))
	}
	c, err := t.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return poll(ctx, 3*time.Minute, func(ctx context.Context) error {
		id := herald.NewID("topology-probe-")
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: id, TaskQueue: "topology-probe",
			TypedSearchAttributes: workflows.DeliveryAttributes("topology.probe", "wh_probe", "user:probe"),
		}, "TopologyProbe")
		if err != nil {
			return fmt.Errorf("start a workflow with Herald's search attributes: %w", err)
		}
		return c.TerminateWorkflow(ctx, id, "", "topology probe")
	})
}

// poll calls f until it succeeds, ctx ends or the timeout passes (then f's last error).
func poll(ctx context.Context, timeout time.Duration, f func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	delay := 100 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := f(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

// httpReady is a ready check: GET url answers want.
func httpReady(url string, want int) func(context.Context) error {
	return func(ctx context.Context) error {
		return poll(ctx, 2*time.Minute, func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
			}
			return nil
		})
	}
}

// freePorts picks the loopback ports of a topology with n workers. They are below 32768:
// Temporal keeps membership ports in a smallint column, and Linux hands out ephemeral ports
// above it.
func freePorts(workers int) (ports, error) {
	n := 10 + workers
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var got []int
	for tries := 0; len(got) < n; tries++ {
		if tries > 1000 {
			return ports{}, errors.New("topology: no free loopback ports between 10000 and 32767")
		}
		port := 10000 + rand.IntN(32768-10000)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		ls = append(ls, l)
		got = append(got, port)
	}
	return ports{
		frontend: got[0], frontendMembership: got[1], history: got[2], historyMembership: got[3],
		matching: got[4], matchingMembership: got[5], worker: got[6], workerMembership: got[7],
		metrics: got[8], api: got[9], workerMetrics: got[10:],
	}, nil
}

// Database is one private PostgreSQL cluster of the topology.
type Database struct {
	name, dataDir  string
	user, password string
	port           int
	logger         *slog.Logger
	pg             *devstack.Postgres
	down           bool // killed, not started again
}

func startDatabase(ctx context.Context, name, dataDir string, logger *slog.Logger) (*Database, error) {
	d := &Database{name: name, dataDir: dataDir, logger: logger}
	if err := d.Start(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// Name is the component's name.
func (d *Database) Name() string { return d.name }

// Port is the cluster's port on 127.0.0.1, the same across restarts.
func (d *Database) Port() int { return d.port }

// URL is the connection URL of a database of the cluster, as its superuser.
func (d *Database) URL(database string) string { return d.pg.URL(database) }

// Start starts the cluster (again, on the same port: its clients reconnect to it).
func (d *Database) Start(ctx context.Context) error {
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{DataDir: d.dataDir, Port: d.port, Logger: d.logger})
	if err != nil {
		return fmt.Errorf("start %s: %w", d.name, err)
	}
	d.pg, d.port, d.down = pg, pg.Port(), false
	if d.password == "" {
		u, err := urlUserinfo(pg.URL("postgres"))
		if err != nil {
			return err
		}
		d.user, d.password = u[0], u[1]
	}
	return nil
}

// Kill crashes the cluster: SIGKILL to the postmaster and its backends.
func (d *Database) Kill() error {
	if err := d.pg.Kill(); err != nil {
		return err
	}
	d.down = true
	return nil
}

// Stop shuts the cluster down (fast shutdown).
func (d *Database) Stop() error {
	if d.pg == nil || d.down {
		return nil
	}
	return d.pg.Stop()
}
