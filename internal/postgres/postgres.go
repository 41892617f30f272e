// Package postgres is Herald's store: configuration, events, deliveries and attempts in
// PostgreSQL through sqlx and lib/pq, with the schema's numbered migrations embedded.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/secretbox"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is Herald's PostgreSQL store. It is safe for concurrent use.
type Store struct {
	db  *sqlx.DB
	box *secretbox.Box // seals webhook secrets; see SetSecretBox
}

// Open connects to the database at url and checks that it answers. Its errors never hold the
// URL's password.
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", redactError(err))
	}
	db.SetMaxOpenConns(40)
	db.SetMaxIdleConns(40)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", redactError(err))
	}
	return &Store{db: db}, nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// DB exposes the pool for tests and tools that read the store directly.
func (s *Store) DB() *sqlx.DB { return s.db }

// migrationLock is the advisory lock key that serializes concurrent `herald migrate` runs.
const migrationLock = 0x6865726c64 // "herld"

// Migrate applies the embedded migrations that the database has not seen yet, each in its own
// transaction, and returns how many it applied. Concurrent callers wait for each other.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return 0, fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)

	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS herald_schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("migrate: create table: %w", err)
	}
	var applied []int
	if err := conn.SelectContext(ctx, &applied, `SELECT version FROM herald_schema_migrations`); err != nil {
		return 0, fmt.Errorf("migrate: read versions: %w", err)
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[v] = true
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return 0, err
	}
	sort.Strings(files)
	n := 0
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return n, fmt.Errorf("migrate: %s: file name must start with a number", name)
		}
		if done[version] {
			continue
		}
		text, err := migrations.ReadFile(f)
		if err != nil {
			return n, err
		}
		if err := applyMigration(ctx, conn, version, name, string(text)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func applyMigration(ctx context.Context, conn *sqlx.Conn, version int, name, text string) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, text); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO herald_schema_migrations (version, name) VALUES ($1, $2)`, version, name); err != nil {
		return fmt.Errorf("migrate %s: record: %w", name, err)
	}
	return tx.Commit()
}

// notFound turns sql.ErrNoRows into a herald not_found error naming what was looked for.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return herald.Errorf(herald.ENotFound, "%s not found", what)
	}
	return err
}

// isForeignKeyViolation reports whether err is PostgreSQL's foreign_key_violation.
func isForeignKeyViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23503"
}
