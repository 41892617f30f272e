//go:build unix && !aix && !solaris

package devstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
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

// postgresSearchGlobs are the directories, after PATH, in which
// FindPostgresBinaries looks for initdb and postgres. Matches of one pattern
// are tried newest version first. Tests replace it.
var postgresSearchGlobs = []string{
	"/usr/lib/postgresql/*/bin",                          // Debian, Ubuntu
	"/usr/pgsql-*/bin",                                   // PGDG packages for Fedora, RHEL
	"/usr/local/pgsql/bin",                               // built from source
	"/opt/homebrew/opt/postgresql*/bin",                  // Homebrew (Apple silicon)
	"/usr/local/opt/postgresql*/bin",                     // Homebrew (Intel)
	"/Applications/Postgres.app/Contents/Versions/*/bin", // Postgres.app
}

// errPostgresNotFound is returned by FindPostgresBinaries.
var errPostgresNotFound = errors.New(`PostgreSQL server binaries (initdb, postgres) not found on PATH or under /usr/lib/postgresql/*/bin: install them with "apt-get install postgresql" (Debian/Ubuntu), "dnf install postgresql-server" (Fedora) or "brew install postgresql" (macOS), or set HERALD_DATABASE_URL to use an external server`)

// errPortInUse matches (with errors.Is) a start that failed because the
// port was taken.
var errPortInUse = errors.New("port already in use")

type portInUseError struct{ error }

func (e portInUseError) Unwrap() error { return e.error }

func (portInUseError) Is(target error) bool { return target == errPortInUse }

// versionPattern extracts the version from `postgres --version`.
var versionPattern = regexp.MustCompile(`\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?`)

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

// osUser is the unprivileged account that runs initdb and postgres when this
// process is root.
type osUser struct {
	name   string
	uid    uint32
	gid    uint32
	groups []uint32 // supplementary groups
}

// pgCluster carries what StartPostgres needs while preparing the cluster.
type pgCluster struct {
	dataDir string
	binDir  string
	runAs   *osUser // nil unless running as root
	fast    bool
	logger  *slog.Logger
}

// FindPostgresBinaries returns the directory holding the PostgreSQL server
// binaries initdb and postgres. It searches PATH first, then
// /usr/lib/postgresql/*/bin (newest version first), /usr/local/pgsql/bin and
// a few other well-known locations. If none is found, the error explains how
// to install them.
func FindPostgresBinaries() (dir string, err error) {
	return findPostgresBinaries(os.Getenv("PATH"), postgresSearchGlobs)
}

func findPostgresBinaries(pathEnv string, globs []string) (string, error) {
	for _, dir := range filepath.SplitList(pathEnv) {
		// Relative PATH entries are skipped, as exec.LookPath refuses them.
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		if hasPostgresBinaries(dir) {
			return dir, nil
		}
	}
	for _, pattern := range globs {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			continue
		}
		slices.SortFunc(matches, func(a, b string) int { return naturalCompare(b, a) })
		for _, dir := range matches {
			if hasPostgresBinaries(dir) {
				return dir, nil
			}
		}
	}
	return "", errPostgresNotFound
}

func hasPostgresBinaries(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// naturalCompare compares strings with runs of digits compared as numbers,
// so that "9.6" < "15" < "16".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			na, restA := splitDigits(a)
			nb, restB := splitDigits(b)
			na, nb = strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = restA, restB
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func splitDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
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

// prepare runs initdb if needed, fixes ownership, and returns the password.
func (c *pgCluster) prepare(ctx context.Context, major string) (string, error) {
	var password string
	b, err := os.ReadFile(filepath.Join(c.dataDir, "PG_VERSION"))
	switch {
	case err == nil:
		if got := strings.TrimSpace(string(b)); got != major {
			return "", fmt.Errorf("start postgres: the cluster in %s was created by PostgreSQL %s but the binaries in %s are version %s; delete the directory to re-create it (its data is lost) or put PostgreSQL %s first on PATH", c.dataDir, got, c.binDir, major, got)
		}
		pw, err := os.ReadFile(filepath.Join(c.dataDir, passwordFileName))
		if err != nil {
			return "", fmt.Errorf("start postgres: read password of the cluster in %s (delete the directory to re-create the cluster): %w", c.dataDir, err)
		}
		password = strings.TrimSpace(string(pw))
		if password == "" {
			return "", fmt.Errorf("start postgres: %s is empty; delete %s to re-create the cluster", filepath.Join(c.dataDir, passwordFileName), c.dataDir)
		}
	case errors.Is(err, fs.ErrNotExist):
		if password, err = c.initdb(ctx, major); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("start postgres: %w", err)
	}
	if c.runAs != nil {
		if err := c.ensureOwnership(); err != nil {
			return "", fmt.Errorf("start postgres: give %s to user %q: %w", c.dataDir, c.runAs.name, err)
		}
	}
	return password, nil
}

// initdb creates the cluster in a sibling temporary directory and renames it
// into place, so that a PG_VERSION in DataDir always means a complete
// cluster. Leftovers of an interrupted earlier attempt are removed.
func (c *pgCluster) initdb(ctx context.Context, major string) (string, error) {
	start := time.Now()
	tmp := c.dataDir + ".initdb"
	if err := os.RemoveAll(tmp); err != nil {
		return "", fmt.Errorf("initdb: remove leftover %s: %w", tmp, err)
	}
	if err := checkWipeable(c.dataDir); err != nil {
		return "", err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return "", fmt.Errorf("initdb: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := c.chown(tmp); err != nil {
		return "", fmt.Errorf("initdb: %w", err)
	}

	password := rand.Text()
	pwfile, err := c.writeTempPasswordFile(filepath.Dir(c.dataDir), password)
	if err != nil {
		return "", fmt.Errorf("initdb: password file: %w", err)
	}
	defer func() { _ = os.Remove(pwfile) }()

	args := []string{
		"-D", tmp,
		"-U", pgSuperuser,
		"--auth=scram-sha-256",
		"--pwfile=" + pwfile,
		"--encoding=UTF8",
		"--locale=C",
	}
	if n, err := strconv.Atoi(major); err == nil && n >= 14 {
		args = append(args, "--no-instructions")
	}
	if c.fast {
		args = append(args, "--no-sync")
	}
	c.logger.Info("creating postgres cluster", "data_dir", c.dataDir, "bin_dir", c.binDir, "version", major)
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, "initdb"), args...)
	cmd.Dir = filepath.Dir(c.dataDir)
	cmd.Env = serverEnv()
	cmd.SysProcAttr = c.sysProcAttr(false)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return "", fmt.Errorf("initdb: %w\n%s", err, lastLines(out, 20))
	}

	if err := c.writeFile(filepath.Join(tmp, passwordFileName), password+"\n"); err != nil {
		return "", fmt.Errorf("initdb: save password: %w", err)
	}
	if err := os.RemoveAll(c.dataDir); err != nil {
		return "", fmt.Errorf("initdb: remove incomplete %s: %w", c.dataDir, err)
	}
	if err := os.Rename(tmp, c.dataDir); err != nil {
		return "", fmt.Errorf("initdb: %w", err)
	}
	done = true
	c.logger.Info("postgres cluster created", "data_dir", c.dataDir, "duration_ms", time.Since(start).Milliseconds())
	return password, nil
}

// checkWipeable returns nil if dir does not exist or looks like the remains
// of an interrupted initdb, and an error if deleting it could lose someone's
// files.
func checkWipeable(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "pg_"), strings.HasPrefix(name, "PG_"),
			strings.HasPrefix(name, "postgres"), strings.HasPrefix(name, "herald-"),
			name == "base", name == "global":
		default:
			return fmt.Errorf("initdb: %s exists and contains %q but no PG_VERSION, so it is not a PostgreSQL cluster; refusing to delete it: remove it yourself or choose another data directory", dir, name)
		}
	}
	return nil
}

// reusable reports whether the server recorded in postmaster.pid is alive
// and is this cluster's, waiting a little if it is still starting up.
func (c *pgCluster) reusable(ctx context.Context, p *Postgres, pid int) bool {
	if !processAlive(pid) {
		return false // stale postmaster.pid: postgres will replace it
	}
	deadline := time.Now().Add(reuseWaitTimeout)
	for {
		dir, err := p.probe(ctx)
		if err == nil {
			if sameDir(dir, c.dataDir) {
				return true
			}
			c.logger.Warn("port recorded in postmaster.pid is served by another cluster", "port", p.port, "data_dir", c.dataDir)
			return false
		}
		if time.Now().After(deadline) || !processAlive(pid) || ctx.Err() != nil {
			c.logger.Debug("recorded postgres does not answer", "pid", pid, "port", p.port, "error", err)
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// choosePort returns the port to start on.
func (c *pgCluster) choosePort(requested int) (int, error) {
	if requested != 0 {
		return requested, nil
	}
	if b, err := os.ReadFile(filepath.Join(c.dataDir, portFileName)); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 && n < 65536 && portFree(n) {
			return n, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, err
	}
	return port, nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// start launches the server on port and waits until it accepts connections.
func (c *pgCluster) start(ctx context.Context, p *Postgres, port int) error {
	began := time.Now()
	logFile, offset, err := c.openLog(p.logPath)
	if err != nil {
		return fmt.Errorf("start postgres: open log: %w", err)
	}
	args := []string{
		"-D", c.dataDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=",
		"-c", "max_connections=200",
	}
	if c.fast {
		args = append(args,
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
		)
	}
	cmd := exec.Command(filepath.Join(c.binDir, "postgres"), args...)
	cmd.Dir = c.dataDir
	cmd.Env = serverEnv()
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = c.sysProcAttr(true)
	err = cmd.Start()
	_ = logFile.Close() // the child has its own descriptor
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	p.port = port
	p.cmd = cmd
	p.exited = make(chan struct{})
	go func(exited chan struct{}) {
		p.waitErr = cmd.Wait()
		close(exited)
	}(p.exited)
	c.logger.Info("postgres starting", "data_dir", c.dataDir, "port", port, "pid", cmd.Process.Pid, "log_file", p.logPath)

	if err := p.waitReady(ctx, offset); err != nil {
		_ = p.shutdown()
		p.cmd = nil
		return err
	}
	c.logger.Info("postgres ready", "port", port, "pid", cmd.Process.Pid, "duration_ms", time.Since(began).Milliseconds())
	return nil
}

// waitReady polls the server until it answers, exits, or time runs out.
func (p *Postgres) waitReady(ctx context.Context, logOffset int64) error {
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also abandons a pending probe
	var lastErr error
	cancelled := func() error {
		return fmt.Errorf("start postgres: waiting for it to accept connections: %w (log: %s)", ctx.Err(), p.logPath)
	}
	exited := func() error {
		tail := readTail(p.logPath, logOffset)
		if strings.Contains(tail, "Address already in use") || strings.Contains(tail, "could not bind") {
			return portInUseError{fmt.Errorf("start postgres: port %d is already in use, server exited (%v); last lines of %s:\n%s", p.port, p.waitErr, p.logPath, tail)}
		}
		return fmt.Errorf("start postgres: server exited during startup (%v); last lines of %s:\n%s", p.waitErr, p.logPath, tail)
	}
	timedOut := func() error {
		return fmt.Errorf("start postgres: not accepting connections on port %d after %v (last error: %v); last lines of %s:\n%s", p.port, readyTimeout, lastErr, p.logPath, readTail(p.logPath, logOffset))
	}
	delay := 20 * time.Millisecond
	for {
		// Probe in the background: lib/pq may not notice cancellation while
		// it waits for a reply, and an early exit must be seen at once.
		result := make(chan error, 1)
		go func() {
			_, err := p.probe(ctx)
			result <- err
		}()
		select {
		case lastErr = <-result:
			if lastErr == nil {
				return nil
			}
		case <-ctx.Done():
			return cancelled()
		case <-p.exited:
			return exited()
		case <-deadline.C:
			return timedOut()
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return cancelled()
		case <-p.exited:
			return exited()
		case <-deadline.C:
			return timedOut()
		}
		delay = min(delay*2, 250*time.Millisecond)
	}
}

// probe connects to the server and returns its data directory.
func (p *Postgres) probe(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	connector, err := pq.NewConnector(p.url("postgres", "connect_timeout=2"))
	if err != nil {
		return "", err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	var dir string
	err = db.QueryRowContext(ctx, "SELECT current_setting('data_directory')").Scan(&dir)
	return dir, err
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

// lookupPostgresUser finds the account to run PostgreSQL as when root.
func lookupPostgresUser() (*osUser, error) {
	const name = "postgres"
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf(`start postgres: PostgreSQL refuses to run as root, and there is no %q system user to run it as (%v): create one (e.g. "useradd --system --home-dir /var/lib/postgresql postgres"), run herald as a non-root user, or set HERALD_DATABASE_URL to use an external server`, name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("start postgres: user %q has a non-numeric uid %q or gid %q", name, u.Uid, u.Gid)
	}
	if uid == 0 {
		return nil, fmt.Errorf("start postgres: user %q has uid 0, and PostgreSQL refuses to run as root", name)
	}
	ou := &osUser{name: name, uid: uint32(uid), gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil && uint32(g) != ou.gid {
				ou.groups = append(ou.groups, uint32(g))
			}
		}
	}
	return ou, nil
}

func (c *pgCluster) sysProcAttr(newProcessGroup bool) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: newProcessGroup}
	if c.runAs != nil {
		attr.Credential = &syscall.Credential{Uid: c.runAs.uid, Gid: c.runAs.gid, Groups: c.runAs.groups}
	}
	return attr
}

// checkTraversable verifies that every ancestor of dataDir can be searched by
// u, which must reach the data directory.
func checkTraversable(dataDir string, u *osUser) error {
	parent, err := filepath.EvalSymlinks(filepath.Dir(dataDir))
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	for dir := parent; ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("start postgres: %w", err)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && !canSearch(fi.Mode().Perm(), uint32(st.Uid), uint32(st.Gid), u) {
			return fmt.Errorf("start postgres: PostgreSQL refuses to run as root, so it runs as user %q (uid %d), which cannot enter %s (mode %v, owner uid %d, gid %d) on the way to the data directory %s: make it traversable (e.g. chmod o+x %s) or choose a data directory elsewhere", u.name, u.uid, dir, fi.Mode(), st.Uid, st.Gid, dataDir, dir)
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

func canSearch(perm fs.FileMode, ownerUID, ownerGID uint32, u *osUser) bool {
	switch {
	case ownerUID == u.uid:
		return perm&0o100 != 0
	case ownerGID == u.gid || slices.Contains(u.groups, ownerGID):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// mkdirAllMode is os.MkdirAll that gives the directories it creates exactly
// mode perm, whatever the umask; existing directories are left alone.
func mkdirAllMode(dir string, perm fs.FileMode) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if err := os.Mkdir(d, perm); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue // created concurrently
			}
			return err
		}
		if err := os.Chmod(d, perm); err != nil {
			return err
		}
	}
	return nil
}

// ensureOwnership gives the data directory to runAs if it is not already.
func (c *pgCluster) ensureOwnership() error {
	fi, err := os.Stat(c.dataDir)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && uint32(st.Uid) == c.runAs.uid && uint32(st.Gid) == c.runAs.gid {
		return nil
	}
	return filepath.WalkDir(c.dataDir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(c.runAs.uid), int(c.runAs.gid))
	})
}

func (c *pgCluster) chown(path string) error {
	if c.runAs == nil {
		return nil
	}
	return os.Lchown(path, int(c.runAs.uid), int(c.runAs.gid))
}

// writeFile writes a small 0600 file (owned by runAs when root).
func (c *pgCluster) writeFile(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	if err := c.chown(tmp); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// writeTempPasswordFile writes the password for initdb --pwfile in dir,
// which the user running initdb can reach.
func (c *pgCluster) writeTempPasswordFile(dir, password string) (string, error) {
	f, err := os.CreateTemp(dir, ".herald-pwfile-*")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(password + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = c.chown(f.Name())
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// openLog opens the server log for appending, truncating it when it has grown
// large, and returns the offset at which this start's output begins.
func (c *pgCluster) openLog(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	if err := c.chown(path); err != nil {
		_ = f.Close()
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, err
	}
	size := fi.Size()
	if size > maxLogSize {
		if err := f.Truncate(0); err != nil {
			_ = f.Close()
			return nil, 0, err
		}
		size = 0
	}
	return f, size, nil
}

// readTail returns the last lines the server wrote after offset.
func readTail(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	const maxTail = 8 << 10
	if fi, err := f.Stat(); err == nil && fi.Size()-offset > maxTail {
		offset = fi.Size() - maxTail
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	return lastLines(b, 20)
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// serverEnv is the environment for initdb and postgres, without PG*
// variables that could redirect them.
func serverEnv() []string {
	env := os.Environ()
	return slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "PG") })
}

// binaryMajorVersion returns the major version of a PostgreSQL binary in the
// form used by PG_VERSION ("15", or "9.6" before version 10).
func binaryMajorVersion(path string) (string, error) {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("start postgres: %s --version: %w", path, err)
	}
	m := versionPattern.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("start postgres: cannot parse the output of %s --version: %q", path, bytes.TrimSpace(out))
	}
	major := string(m[1])
	if n, _ := strconv.Atoi(major); n < 10 && len(m[2]) > 0 {
		major += "." + string(m[2])
	}
	return major, nil
}

// readPostmasterPID returns the pid and port recorded in postmaster.pid.
func readPostmasterPID(dataDir string) (pid, port int, ok bool) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(lines[0]))
	port, err2 := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err1 != nil || err2 != nil || pid <= 0 || port <= 0 {
		return 0, 0, false
	}
	return pid, port, true
}

// processAlive reports whether pid is a live process that may be postgres.
func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// Where /proc exists, rule out an unrelated process that got the pid.
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
		return bytes.Contains(cmdline, []byte("postgres"))
	}
	return true
}

func sameDir(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// lockFile takes an exclusive flock on path, waiting while honouring ctx.
func lockFile(ctx context.Context, path string, logger *slog.Logger) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	logged := false
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(fd, syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, err
		}
		if !logged {
			logger.Info("waiting for another process starting the same postgres cluster", "lock_file", path)
			logged = true
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
