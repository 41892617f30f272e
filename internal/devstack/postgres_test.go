//go:build unix && !aix && !solaris

package devstack

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// testBaseDir returns a fresh directory that the postgres user can traverse
// when the tests run as root (t.TempDir makes 0700 directories).
func testBaseDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "herald-devstack-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func requirePostgres(t *testing.T) {
	t.Helper()
	if _, err := FindPostgresBinaries(); err != nil {
		t.Skip(err)
	}
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func startTestPostgres(t *testing.T, ctx context.Context, dataDir string) *Postgres {
	t.Helper()
	p, err := StartPostgres(ctx, PostgresOptions{DataDir: dataDir, Fast: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("StartPostgres: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("Stop in cleanup: %v", err)
		}
	})
	return p
}

func openDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestPostgresStartCreateReuse(t *testing.T) {
	requirePostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	base := testBaseDir(t)
	dataDir := filepath.Join(base, ".herald", "postgres") // .herald is created by StartPostgres

	began := time.Now()
	p := startTestPostgres(t, ctx, dataDir)
	t.Logf("cold start (initdb + start) took %v", time.Since(began))

	if fi, err := os.Stat(filepath.Join(base, ".herald")); err != nil {
		t.Fatal(err)
	} else if got := fi.Mode().Perm(); got != 0o755 {
		t.Errorf("created parent has mode %v, want 0755", got)
	}
	if fi, err := os.Stat(filepath.Join(dataDir, passwordFileName)); err != nil {
		t.Fatal(err)
	} else if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("password file has mode %v, want 0600", got)
	}
	if !strings.HasPrefix(p.URL("x"), "postgres://herald:") || !strings.HasSuffix(p.URL("x"), "/x?sslmode=disable") {
		t.Errorf("unexpected URL shape %q", p.URL("x"))
	}

	const name = "herald_test"
	for i := 0; i < 2; i++ {
		if err := p.CreateDatabase(ctx, name); err != nil {
			t.Fatalf("CreateDatabase #%d: %v", i+1, err)
		}
	}
	// A name that needs quoting, both in SQL and in the URL.
	const oddName = `Odd "db" name?`
	if err := p.CreateDatabase(ctx, oddName); err != nil {
		t.Fatalf("CreateDatabase(%q): %v", oddName, err)
	}
	var current string
	if err := openDB(t, p.URL(oddName)).QueryRowContext(ctx, "SELECT current_database()").Scan(&current); err != nil {
		t.Fatal(err)
	} else if current != oddName {
		t.Errorf("current_database() = %q, want %q", current, oddName)
	}

	db := openDB(t, p.URL(name))
	if _, err := db.ExecContext(ctx, "CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO items VALUES (1, 'first'), (2, 'second')"); err != nil {
		t.Fatal(err)
	}
	var label string
	if err := db.QueryRowContext(ctx, "SELECT label FROM items WHERE id = 2").Scan(&label); err != nil {
		t.Fatal(err)
	} else if label != "second" {
		t.Errorf("label = %q, want second", label)
	}
	_ = db.Close()

	// Starting again while it runs reuses the server; that Stop is a no-op.
	reused, err := StartPostgres(ctx, PostgresOptions{DataDir: dataDir, Fast: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("StartPostgres while running: %v", err)
	}
	if reused.cmd != nil || reused.port != p.port {
		t.Errorf("expected reuse of the running server on port %d, got port %d, started=%v", p.port, reused.port, reused.cmd != nil)
	}
	if err := reused.Stop(); err != nil {
		t.Fatalf("Stop of reused: %v", err)
	}
	if _, err := p.probe(ctx); err != nil {
		t.Fatalf("server died after Stop of a reused handle: %v", err)
	}

	firstPort := p.port
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := p.probe(ctx); err == nil {
		t.Fatal("server still answers after Stop")
	}

	// An explicitly requested port that is taken: the early exit is
	// reported with the server's log.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	busy := l.Addr().(*net.TCPAddr).Port
	_, err = StartPostgres(ctx, PostgresOptions{DataDir: dataDir, Port: busy, Fast: true, Logger: testLogger(t)})
	_ = l.Close()
	if err == nil || !errors.Is(err, errPortInUse) || !strings.Contains(err.Error(), "could not bind") || !strings.Contains(err.Error(), filepath.Join(dataDir, logFileName)) {
		t.Fatalf("StartPostgres on busy port %d: err = %v, want a port-in-use error with the log tail", busy, err)
	}

	began = time.Now()
	p2 := startTestPostgres(t, ctx, dataDir)
	t.Logf("warm start (existing cluster) took %v", time.Since(began))
	if p2.cmd == nil {
		t.Error("expected a newly started server after Stop")
	}
	if p2.port != firstPort {
		t.Errorf("restart used port %d, want the recorded port %d", p2.port, firstPort)
	}
	if err := p2.CreateDatabase(ctx, name); err != nil {
		t.Fatalf("CreateDatabase after restart: %v", err)
	}
	var count int
	if err := openDB(t, p2.URL(name)).QueryRowContext(ctx, "SELECT count(*) FROM items").Scan(&count); err != nil {
		t.Fatalf("query after restart: %v", err)
	} else if count != 2 {
		t.Errorf("after restart: %d rows, want 2", count)
	}
	if err := p2.Stop(); err != nil {
		t.Fatalf("Stop after restart: %v", err)
	}
	if err := p2.Stop(); err != nil {
		t.Fatalf("second Stop after restart: %v", err)
	}
}

func TestPostgresRedoesInterruptedInitdb(t *testing.T) {
	requirePostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	dataDir := filepath.Join(testBaseDir(t), "pg")
	// Remains of an interrupted initdb: no PG_VERSION, some cluster entries,
	// and a leftover temporary directory.
	for _, d := range []string{filepath.Join(dataDir, "base"), filepath.Join(dataDir, "pg_wal"), dataDir + ".initdb"} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	p := startTestPostgres(t, ctx, dataDir)
	if err := p.CreateDatabase(ctx, "after_redo"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dataDir + ".initdb"); !os.IsNotExist(err) {
		t.Errorf("leftover %s.initdb still there: %v", dataDir, err)
	}
}

func TestPostgresRefusesToWipeForeignDir(t *testing.T) {
	requirePostgres(t)
	dataDir := filepath.Join(testBaseDir(t), "notpg")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	precious := filepath.Join(dataDir, "important.txt")
	if err := os.WriteFile(precious, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := StartPostgres(context.Background(), PostgresOptions{DataDir: dataDir, Fast: true})
	if err == nil || !strings.Contains(err.Error(), "refusing to delete") {
		t.Fatalf("StartPostgres on a foreign dir: err = %v, want a refusal", err)
	}
	if _, err := os.Stat(precious); err != nil {
		t.Fatalf("foreign file was touched: %v", err)
	}
}

// TestPostgresAsRootInAPrivateHome is `git clone ... /root/herald && cd /root/herald && herald
// dev` as root, whose home is mode 0700: the cluster starts without a change to the home's
// permissions, keeps its data for the next start, and another repository (or a copy of this one)
// gets a cluster of its own.
func TestPostgresAsRootInAPrivateHome(t *testing.T) {
	requirePostgres(t)
	if os.Geteuid() != 0 {
		t.Skip("only relevant when running as root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	home := filepath.Join(testBaseDir(t), "root")
	if err := os.Mkdir(home, 0o700); err != nil { // the postgres user cannot enter it
		t.Fatal(err)
	}
	start := func(repo string) (*Postgres, *sql.DB) {
		t.Helper()
		dataDir := filepath.Join(home, repo, ".herald", "postgres")
		p, err := StartPostgres(ctx, PostgresOptions{DataDir: dataDir, Fast: true, Logger: testLogger(t)})
		if err != nil {
			t.Fatalf("StartPostgres in %s: %v", dataDir, err)
		}
		if target, err := os.Readlink(dataDir); err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(target); _ = os.Remove(target + ownerSuffix) })
		}
		if err := p.CreateDatabase(ctx, "herald"); err != nil {
			t.Fatal(err)
		}
		return p, openDB(t, p.URL("herald"))
	}
	stop := func(p *Postgres, db *sql.DB) {
		t.Helper()
		_ = db.Close()
		if err := p.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(db *sql.DB) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'kept'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	p, db := start("herald")
	if _, err := db.ExecContext(ctx, "CREATE TABLE kept (id int)"); err != nil {
		t.Fatal(err)
	}
	stop(p, db)
	if fi, err := os.Stat(home); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("home is %v (%v), want it left at 0700", fi.Mode(), err)
	}

	p, db = start("herald")
	if rows(db) != 1 {
		t.Fatal("the second start lost the first start's table")
	}
	stop(p, db)

	p, db = start("other")
	if rows(db) != 0 {
		t.Fatal("another repository shares the first one's cluster")
	}
	stop(p, db)

	// cp -a of the repository copies the link too; the copy must not write into the original's cluster.
	if err := os.MkdirAll(filepath.Join(home, "copy", ".herald"), 0o755); err != nil {
		t.Fatal(err)
	}
	orig, err := os.Readlink(filepath.Join(home, "herald", ".herald", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(orig, filepath.Join(home, "copy", ".herald", "postgres")); err != nil {
		t.Fatal(err)
	}
	p, db = start("copy")
	if rows(db) != 0 {
		t.Fatal("a copied data dir shares the original's cluster")
	}
	stop(p, db)

	p, db = start("herald")
	if rows(db) != 1 {
		t.Fatal("the original lost its cluster to its copy")
	}
	stop(p, db)
}

func TestFindPostgresBinariesNotFound(t *testing.T) {
	empty := t.TempDir()
	_, err := findPostgresBinaries(empty, []string{filepath.Join(empty, "*", "bin"), filepath.Join(empty, "pgsql", "bin")})
	const want = `PostgreSQL server binaries (initdb, postgres) not found on PATH or under /usr/lib/postgresql/*/bin: install them with "apt-get install postgresql" (Debian/Ubuntu), "dnf install postgresql-server" (Fedora) or "brew install postgresql" (macOS), or set HERALD_DATABASE_URL to use an external server`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}

	// The exported function uses the package-level search roots.
	t.Setenv("PATH", empty)
	saved := postgresSearchGlobs
	postgresSearchGlobs = []string{filepath.Join(empty, "*", "bin")}
	t.Cleanup(func() { postgresSearchGlobs = saved })
	if _, err := FindPostgresBinaries(); err == nil || err.Error() != want {
		t.Fatalf("FindPostgresBinaries: err = %v, want %q", err, want)
	}
}

func TestFindPostgresBinariesOrder(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, names ...string) string {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	glob := filepath.Join(root, "lib", "*", "bin")
	mk(filepath.Join(root, "lib", "9.6", "bin"), "initdb", "postgres")
	v15 := mk(filepath.Join(root, "lib", "15", "bin"), "initdb", "postgres")
	mk(filepath.Join(root, "lib", "17", "bin"), "initdb") // incomplete: skipped
	onlyInitdb := mk(filepath.Join(root, "path1"), "initdb")
	onPath := mk(filepath.Join(root, "path2"), "initdb", "postgres")

	if got, err := findPostgresBinaries(onlyInitdb, []string{glob}); err != nil || got != v15 {
		t.Errorf("glob search = %q, %v; want newest complete %q", got, err, v15)
	}
	pathEnv := "relative/dir" + string(os.PathListSeparator) + onlyInitdb + string(os.PathListSeparator) + onPath
	if got, err := findPostgresBinaries(pathEnv, []string{glob}); err != nil || got != onPath {
		t.Errorf("PATH search = %q, %v; want %q", got, err, onPath)
	}
}
