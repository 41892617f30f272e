package devstack

// The private cluster's life: prepare (initdb or reuse), choose a port, start, wait until ready,
// and the lock that keeps two processes from starting the same data directory.

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
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// errPortInUse matches (with errors.Is) a start that failed because the
// port was taken.
var errPortInUse = errors.New("port already in use")

type portInUseError struct{ error }

func (e portInUseError) Unwrap() error { return e.error }

func (portInUseError) Is(target error) bool { return target == errPortInUse }

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
