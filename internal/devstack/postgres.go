//go:build unix && !aix && !solaris

package devstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lib/pq"
)

const (
	// pgSuperuser is the superuser that initdb creates in the cluster.
	pgSuperuser = "herald"
	// passwordFileName holds the superuser's password, inside the data dir.
	passwordFileName = "herald-password"
	// portFileName records the port of the last start, inside the data dir.
	portFileName = "herald-port"
	// logFileName receives the server's stdout and stderr, inside the data dir.
	logFileName = "postgres.log"
	// maxLogSize is the size above which the log is truncated on start.
	maxLogSize = 16 << 20

	readyTimeout     = 60 * time.Second
	reuseWaitTimeout = 10 * time.Second
	probeTimeout     = 2 * time.Second
	fastStopTimeout  = 30 * time.Second
	quitStopTimeout  = 10 * time.Second
	maxPortAttempts  = 3
	maxDatabaseName  = 63 // NAMEDATALEN-1
)

// PostgresOptions configures a private PostgreSQL cluster started by
// StartPostgres.
type PostgresOptions struct {
	// DataDir is the cluster directory (e.g. ".herald/postgres"). initdb
	// runs once, when it has no PG_VERSION; the cluster is reused
	// afterwards. Missing parent directories are created with mode 0755.
	DataDir string
	// Port is the TCP port on 127.0.0.1. 0 means: reuse the port recorded
	// in DataDir by the last start if it is free, else pick a free one
	// (and record it).
	Port int
	// Fast trades durability for speed, for tests: fsync=off,
	// synchronous_commit=off, full_page_writes=off (and initdb --no-sync).
	Fast bool
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Postgres is a running private PostgreSQL cluster, either started by this
// process or an already-running server of the same cluster that was reused.
// Its methods are safe for concurrent use.
type Postgres struct {
	dataDir  string
	port     int
	password string
	logPath  string
	logger   *slog.Logger

	// cmd is the server this process started; nil when reused.
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has exited
	waitErr error         // cmd.Wait's result, valid once exited is closed

	stopOnce sync.Once
	stopErr  error
}

// pgCluster carries what StartPostgres needs while preparing the cluster.
type pgCluster struct {
	dataDir string
	binDir  string
	runAs   *osUser // nil unless running as root
	fast    bool
	logger  *slog.Logger
}

// StartPostgres makes sure the private cluster in opts.DataDir exists
// (running initdb the first time) and is running, and returns once it
// accepts connections on 127.0.0.1. If a server of that cluster is already
// running, it is reused and Stop will leave it running. Otherwise the server
// is started as a child process (in its own process group, so that the
// terminal's Ctrl-C does not reach it); its output goes to postgres.log in
// DataDir. ctx bounds the startup only, not the server's lifetime.
//
// When the process runs as root, initdb and postgres run as the "postgres"
// system user, which owns the cluster. If that user cannot reach DataDir (it
// is under root's 0700 home), the cluster lives in /var/lib/herald instead and
// DataDir is a symbolic link to it (see reachableDataDir).
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.DataDir == "" {
		return nil, errors.New("start postgres: PostgresOptions.DataDir is empty")
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("start postgres: invalid port %d", opts.Port)
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("start postgres: data dir %q: %w", opts.DataDir, err)
	}
	binDir, err := FindPostgresBinaries()
	if err != nil {
		return nil, err
	}
	c := &pgCluster{dataDir: dataDir, binDir: binDir, fast: opts.Fast, logger: logger}
	if os.Geteuid() == 0 {
		if c.runAs, err = lookupPostgresUser(); err != nil {
			return nil, err
		}
	}

	parent := filepath.Dir(dataDir)
	if err := mkdirAllMode(parent, 0o755); err != nil {
		return nil, fmt.Errorf("start postgres: create parent of data dir: %w", err)
	}

	// Serialize concurrent starts of the same cluster (e.g. test packages
	// run in parallel): the loser waits, then reuses the winner's server.
	unlock, err := lockFile(ctx, dataDir+".lock", logger)
	if err != nil {
		return nil, fmt.Errorf("start postgres: lock %s.lock: %w", dataDir, err)
	}
	defer unlock()

	if c.runAs != nil {
		if dataDir, err = c.reachableDataDir(dataDir); err != nil {
			return nil, err
		}
		c.dataDir = dataDir
	}

	major, err := binaryMajorVersion(filepath.Join(binDir, "postgres"))
	if err != nil {
		return nil, err
	}
	password, err := c.prepare(ctx, major)
	if err != nil {
		return nil, err
	}

	p := &Postgres{
		dataDir:  dataDir,
		password: password,
		logPath:  filepath.Join(dataDir, logFileName),
		logger:   logger,
	}

	if pid, port, ok := readPostmasterPID(dataDir); ok {
		p.port = port
		if c.reusable(ctx, p, pid) {
			if opts.Port != 0 && opts.Port != port {
				return nil, fmt.Errorf("start postgres: the cluster in %s is already running (pid %d) on port %d, not the requested port %d; stop it first", dataDir, pid, port, opts.Port)
			}
			if err := c.writeFile(filepath.Join(dataDir, portFileName), strconv.Itoa(port)+"\n"); err != nil {
				return nil, fmt.Errorf("start postgres: record port: %w", err)
			}
			logger.Info("reusing running postgres", "data_dir", dataDir, "port", port, "pid", pid)
			return p, nil
		}
	}

	for attempt := 1; ; attempt++ {
		port, err := c.choosePort(opts.Port)
		if err != nil {
			return nil, fmt.Errorf("start postgres: choose port: %w", err)
		}
		err = c.start(ctx, p, port)
		if err == nil {
			if err := c.writeFile(filepath.Join(dataDir, portFileName), strconv.Itoa(port)+"\n"); err != nil {
				_ = p.shutdown()
				return nil, fmt.Errorf("start postgres: record port: %w", err)
			}
			return p, nil
		}
		if errors.Is(err, errPortInUse) && opts.Port == 0 && attempt < maxPortAttempts {
			logger.Warn("postgres port was taken, retrying with another", "port", port, "attempt", attempt)
			continue
		}
		return nil, err
	}
}

// URL returns a connection URL for database as the cluster's superuser, e.g.
// postgres://herald:PASSWORD@127.0.0.1:PORT/DATABASE?sslmode=disable.
func (p *Postgres) URL(database string) string {
	if p == nil {
		return ""
	}
	return p.url(database, "")
}

func (p *Postgres) url(database, extraQuery string) string {
	query := "sslmode=disable"
	if extraQuery != "" {
		query += "&" + extraQuery
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(pgSuperuser, p.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)),
		Path:     "/" + database,
		RawQuery: query,
	}
	return u.String()
}

// CreateDatabase creates the database name unless it already exists. The
// name is quoted, so it is case-sensitive and may contain any character but
// NUL; it must be at most 63 bytes long.
func (p *Postgres) CreateDatabase(ctx context.Context, name string) error {
	if p == nil {
		return errors.New("create database: nil *Postgres")
	}
	if name == "" || strings.ContainsRune(name, 0) || len(name) > maxDatabaseName {
		return fmt.Errorf("create database %q: name must be 1 to %d bytes without NUL", name, maxDatabaseName)
	}
	connector, err := pq.NewConnector(p.url("postgres", "connect_timeout=10"))
	if err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()

	for attempt := 1; ; attempt++ {
		var exists bool
		err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
		if err != nil {
			return fmt.Errorf("create database %q: %w", name, err)
		}
		if exists {
			return nil
		}
		_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
		var pqErr *pq.Error
		switch {
		case err == nil:
			p.logger.Info("database created", "database", name, "port", p.port)
			return nil
		case errors.As(err, &pqErr) && pqErr.Code == "42P04": // duplicate_database: created concurrently
			return nil
		case errors.As(err, &pqErr) && pqErr.Code == "55006" && attempt < 20: // template1 busy
			select {
			case <-ctx.Done():
				return fmt.Errorf("create database %q: %w", name, ctx.Err())
			case <-time.After(250 * time.Millisecond):
			}
		default:
			return fmt.Errorf("create database %q: %w", name, err)
		}
	}
}

// Stop shuts down a server that this process started (PostgreSQL's fast
// shutdown, SIGINT) and waits for it to exit, escalating to an immediate
// shutdown and then SIGKILL if it takes too long. It does nothing for a
// reused server that was already running. Calling it again returns the
// first call's result.
func (p *Postgres) Stop() error {
	if p == nil {
		return nil
	}
	p.stopOnce.Do(func() {
		if p.cmd == nil {
			return
		}
		p.stopErr = p.shutdown()
		if p.stopErr == nil {
			p.logger.Info("postgres stopped", "port", p.port, "pid", p.cmd.Process.Pid)
		}
	})
	return p.stopErr
}

// shutdown stops the child server and waits for it.
func (p *Postgres) shutdown() error {
	select {
	case <-p.exited:
		if p.waitErr != nil {
			return fmt.Errorf("stop postgres: it had already exited: %w (log: %s)", p.waitErr, p.logPath)
		}
		return nil
	default:
	}
	steps := []struct {
		sig     syscall.Signal
		timeout time.Duration
	}{
		{syscall.SIGINT, fastStopTimeout},  // fast shutdown
		{syscall.SIGQUIT, quitStopTimeout}, // immediate shutdown
		{syscall.SIGKILL, quitStopTimeout},
	}
	for i, step := range steps {
		if err := p.cmd.Process.Signal(step.sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("stop postgres: %w", err)
		}
		select {
		case <-p.exited:
			if i > 0 {
				return fmt.Errorf("stop postgres: fast shutdown took longer than %v, sent %v (log: %s)", fastStopTimeout, step.sig, p.logPath)
			}
			if p.waitErr != nil {
				return fmt.Errorf("stop postgres: %w (log: %s)", p.waitErr, p.logPath)
			}
			return nil
		case <-time.After(step.timeout):
			p.logger.Warn("postgres is slow to shut down", "pid", p.cmd.Process.Pid, "signal", step.sig.String())
		}
	}
	return fmt.Errorf("stop postgres: pid %d did not exit", p.cmd.Process.Pid)
}
