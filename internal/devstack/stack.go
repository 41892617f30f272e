package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/client"

	"github.com/herald-webhooks/herald/internal/postgres"
	"github.com/herald-webhooks/herald/internal/temporalclient"
	"github.com/herald-webhooks/herald/internal/wire"
	"github.com/herald-webhooks/herald/worker"
)

// StackOptions configures the services Herald runs on.
type StackOptions struct {
	// DataDir keeps the private PostgreSQL cluster and Temporal's SQLite file.
	DataDir string
	// DatabaseURL, when set, is an external PostgreSQL used instead of the private cluster.
	DatabaseURL string
	// TemporalAddress, when set, is an external Temporal frontend used instead of the embedded one.
	TemporalAddress string
	// Namespace is the Temporal namespace (default "default").
	Namespace string
	// TemporalPort and UIPort place the embedded frontend and Web UI (0: free port / no UI).
	TemporalPort, UIPort int
	// Ephemeral keeps Temporal in memory and runs PostgreSQL without fsync: for tests.
	Ephemeral bool
	// Logger receives the stack's logs; nil discards them.
	Logger *slog.Logger
}

// Stack is a running set of services: a migrated store and a Temporal client, with the
// embedded servers behind them when no external ones were given.
type Stack struct {
	Postgres        *Postgres // nil when external
	Temporal        *Temporal // nil when external
	Store           *postgres.Store
	Client          client.Client
	DatabaseURL     string
	TemporalAddress string
	Namespace       string

	logFile *os.File
}

// DatabaseName is the database Herald uses in the private cluster.
const DatabaseName = "herald"

// Start brings the stack up: PostgreSQL (private or external), migrations, Temporal
// (embedded or external) with Herald's search attributes, and a client.
func Start(ctx context.Context, opts StackOptions) (_ *Stack, err error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Stack{DatabaseURL: opts.DatabaseURL, TemporalAddress: opts.TemporalAddress, Namespace: opts.Namespace}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if opts.DataDir != "" && (s.DatabaseURL == "" || (s.TemporalAddress == "" && !opts.Ephemeral)) {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
	}

	if s.DatabaseURL == "" {
		if opts.DataDir == "" {
			return nil, errors.New("a data dir is needed for the private PostgreSQL cluster")
		}
		s.Postgres, err = StartPostgres(ctx, PostgresOptions{
			DataDir: filepath.Join(opts.DataDir, "postgres"), Fast: opts.Ephemeral, Logger: logger,
		})
		if err != nil {
			return nil, err
		}
		if err := s.Postgres.CreateDatabase(ctx, DatabaseName); err != nil {
			return nil, err
		}
		s.DatabaseURL = s.Postgres.URL(DatabaseName)
		// Other processes (herald publish, psql) find the private database here.
		if err := os.WriteFile(filepath.Join(opts.DataDir, "database-url"), []byte(s.DatabaseURL+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write database url: %w", err)
		}
	}
	if s.Store, err = postgres.Open(ctx, s.DatabaseURL); err != nil {
		return nil, err
	}
	if _, err := s.Store.Migrate(ctx); err != nil {
		return nil, err
	}

	if s.TemporalAddress == "" {
		dbFile := ""
		if !opts.Ephemeral {
			dbFile = filepath.Join(opts.DataDir, "temporal.db")
		}
		// The embedded server's own warnings go to a file: they are for debugging the stack.
		serverLog := slog.New(slog.DiscardHandler)
		if !opts.Ephemeral && opts.DataDir != "" {
			f, err := os.OpenFile(filepath.Join(opts.DataDir, "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				return nil, fmt.Errorf("temporal log: %w", err)
			}
			s.logFile = f
			serverLog = slog.New(slog.NewTextHandler(f, nil))
		}
		s.Temporal, err = StartTemporal(ctx, TemporalOptions{
			DBFile: dbFile, Port: opts.TemporalPort, UIPort: opts.UIPort, Namespace: opts.Namespace,
			SearchAttributes: wire.SearchAttributes, Logger: serverLog,
		})
		if err != nil {
			return nil, err
		}
		s.TemporalAddress = s.Temporal.Address()
	}
	if s.Client, err = temporalclient.Dial(ctx, s.TemporalAddress, s.Namespace, logger); err != nil {
		return nil, err
	}
	added, err := worker.EnsureSearchAttributes(ctx, s.Client, s.Namespace)
	if err != nil {
		return nil, err
	}
	// Attributes registered when the namespace was created are in every cache already; ones
	// added just now are not, so the reads stay forced for this run.
	if s.Temporal != nil && len(added) == 0 {
		s.Temporal.SearchAttributesSettled()
	}
	return s, nil
}

// Close stops everything the stack started, in reverse order.
func (s *Stack) Close() {
	if s.Client != nil {
		s.Client.Close()
	}
	if s.Temporal != nil {
		s.Temporal.Stop()
	}
	if s.Store != nil {
		s.Store.Close()
	}
	if s.Postgres != nil {
		_ = s.Postgres.Stop()
	}
	if s.logFile != nil {
		s.logFile.Close()
	}
}

// NewDatabase creates a fresh, migrated database in the private cluster (for tests).
func (s *Stack) NewDatabase(ctx context.Context, name string) (*postgres.Store, error) {
	if s.Postgres == nil {
		return nil, errors.New("NewDatabase needs the private cluster")
	}
	name = strings.ToLower(name)
	if err := s.Postgres.CreateDatabase(ctx, name); err != nil {
		return nil, err
	}
	st, err := postgres.Open(ctx, s.Postgres.URL(name))
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
