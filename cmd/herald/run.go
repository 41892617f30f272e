package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"golang.org/x/sync/errgroup"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/catalog"
	"github.com/herald-webhooks/herald/internal/devstack"
	"github.com/herald-webhooks/herald/internal/metrics"
	"github.com/herald-webhooks/herald/internal/postgres"
	"github.com/herald-webhooks/herald/internal/secretbox"
	"github.com/herald-webhooks/herald/internal/temporalclient"
	"github.com/herald-webhooks/herald/starter"
	"github.com/herald-webhooks/herald/worker"
)

func runDev(ctx context.Context, logger *slog.Logger, args []string) error {
	var cfg config
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	cfg.flags(fs, true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.checkEnv(); err != nil {
		return err
	}
	// Take the API's address first, so a busy port fails before anything starts.
	ln, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		return fmt.Errorf("API address %s: %w (set HERALD_API_ADDR to another one)", cfg.APIAddr, err)
	}
	defer ln.Close()
	fmt.Fprintln(os.Stderr, "Starting Herald's dev stack (PostgreSQL, Temporal, worker, API)...")
	stack, err := devstack.Start(ctx, devstack.StackOptions{
		DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, TemporalAddress: cfg.TemporalAddress,
		Namespace: cfg.Namespace, TemporalPort: cfg.TemporalPort, UIPort: cfg.UIPort, Logger: logger,
	})
	if err != nil {
		return err
	}
	defer stack.Close()
	box, err := cfg.devSecretBox()
	if err != nil {
		return err
	}
	stack.Store.SetSecretBox(box)

	n, err := loadCatalog(ctx, stack.Store)
	if err != nil {
		return err
	}
	key, err := devAdminKey(ctx, stack.Store, cfg)
	if err != nil {
		return err
	}
	w := worker.New(stack.Client, newActivities(stack.Store, stack.Client, cfg, logger), sdkworker.Options{})

	uiURL := "(external Temporal: use its own UI)"
	if stack.Temporal != nil && stack.Temporal.UIURL() != "" {
		uiURL = stack.Temporal.UIURL() + "/namespaces/" + stack.Namespace + "/workflows"
	}
	fmt.Printf(`
Herald is running.
  API          http://%s/api/v1
  Temporal UI  %s
  Temporal     %s (namespace %s)
  PostgreSQL   %s
  Admin key    %s
  Catalog      %d new example event types loaded
Press Ctrl-C to stop.
`, ln.Addr(), uiURL, stack.TemporalAddress, stack.Namespace, postgres.RedactURL(stack.DatabaseURL), key, n)

	announced := devStack{DataDir: cfg.DataDir, DatabaseURL: stack.DatabaseURL, TemporalAddress: stack.TemporalAddress,
		Namespace: stack.Namespace, APIURL: "http://" + ln.Addr().String() + "/api/v1"}
	if stack.Temporal != nil {
		announced.UIURL = stack.Temporal.UIURL()
	}
	if err := announceDev(announced); err != nil {
		return err
	}
	srv := newServer(stack.Store, stack.Client, cfg, logger)
	err = serve(ctx, w, srv, ln)
	fmt.Fprintln(os.Stderr, "Herald stopped.")
	return err
}

// serve runs a worker and/or an API server until ctx ends, then shuts both down.
func serve(ctx context.Context, w sdkworker.Worker, srv *api.Server, ln net.Listener) error {
	g, ctx := errgroup.WithContext(ctx)
	if w != nil {
		g.Go(func() error { return worker.Run(ctx, w) })
	}
	if srv != nil {
		hs := srv.HTTPServer()
		g.Go(func() error {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("api: %w", err)
			}
			return nil
		})
		g.Go(func() error {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return hs.Shutdown(sctx)
		})
	}
	return g.Wait()
}

// newActivities builds the worker's activities; their HTTP client refuses, after DNS, the
// addresses the URL policy does not allow.
func newActivities(store *postgres.Store, tc client.Client, cfg config, logger *slog.Logger) *activities.Activities {
	return &activities.Activities{Store: store, HTTP: activities.NewGuardedHTTPClient(cfg.urlPolicy().Control, nil),
		Logger: logger, UserAgent: cfg.UserAgent, Temporal: tc}
}

func newServer(store *postgres.Store, c client.Client, cfg config, logger *slog.Logger) *api.Server {
	return &api.Server{Store: store, Temporal: c, Logger: logger, Publisher: &starter.Publisher{Store: store, Temporal: c},
		URLPolicy: cfg.urlPolicy(), UserAgent: cfg.UserAgent, Timeouts: cfg.APITimeouts,
		DisableAfter: cfg.DisableAfter}
}

// loadCatalog adds the example catalog's event types that are missing; edits are kept.
func loadCatalog(ctx context.Context, store *postgres.Store) (int, error) {
	ets, err := catalog.Examples()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, et := range ets {
		added, err := store.InsertEventTypeIfMissing(ctx, herald.EventType{
			Name: et.Name, Description: et.Description, Group: et.Group, Schema: et.Schema, Example: et.Example,
		})
		if err != nil {
			return n, err
		}
		if added {
			n++
		}
	}
	return n, nil
}

// devAdminKey is HERALD_ADMIN_KEY, or the key dev generated on its first start (kept in the
// data dir so the walkthrough's key keeps working); only its hash is in the database.
func devAdminKey(ctx context.Context, store *postgres.Store, cfg config) (string, error) {
	key := cfg.AdminKey
	if key == "" {
		path := filepath.Join(cfg.DataDir, "admin-key")
		if b, err := os.ReadFile(path); err == nil {
			key = strings.TrimSpace(string(b))
		} else {
			key = herald.NewID("hk_")
			if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
				return "", fmt.Errorf("save admin key: %w", err)
			}
		}
	}
	if _, err := store.CreateAPIKey(ctx, "dev", key); err != nil {
		return "", err
	}
	return key, nil
}

// connect opens the store and the Temporal client of a production command.
func connect(ctx context.Context, cfg config, logger *slog.Logger) (*postgres.Store, client.Client, error) {
	store, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	c, err := temporalclient.Dial(ctx, cfg.TemporalAddress, cfg.Namespace, logger)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, c, nil
}

// production parses a production command's flags and connects to its external services.
// api and worker (withSecrets) also need the secret key, and refuse to start without it.
func production(ctx context.Context, name string, logger *slog.Logger, args []string, withSecrets bool) (config, *postgres.Store, client.Client, error) {
	var cfg config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	cfg.flags(fs, false)
	if err := fs.Parse(args); err != nil {
		return cfg, nil, nil, err
	}
	if err := cfg.checkEnv(); err != nil {
		return cfg, nil, nil, err
	}
	if err := cfg.external(); err != nil {
		return cfg, nil, nil, err
	}
	var box *secretbox.Box
	if withSecrets {
		var err error
		if box, err = cfg.secretBox(); err != nil {
			return cfg, nil, nil, err
		}
	}
	store, c, err := connect(ctx, cfg, logger)
	if err == nil && box != nil {
		store.SetSecretBox(box)
	}
	return cfg, store, c, err
}

func runAPI(ctx context.Context, logger *slog.Logger, args []string) error {
	cfg, store, c, err := production(ctx, "api", logger, args, true)
	if err != nil {
		return err
	}
	defer store.Close()
	defer c.Close()
	if cfg.AdminKey != "" {
		if _, err := store.CreateAPIKey(ctx, "env", cfg.AdminKey); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		return err
	}
	logger.Info("api listening", "addr", ln.Addr().String())
	return serve(ctx, nil, newServer(store, c, cfg, logger), ln)
}

func runWorker(ctx context.Context, logger *slog.Logger, args []string) error {
	cfg, store, c, err := production(ctx, "worker", logger, args, true)
	if err != nil {
		return err
	}
	defer store.Close()
	defer c.Close()
	logger.Info("worker running", "temporal", cfg.TemporalAddress, "namespace", cfg.Namespace)
	if cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		ms := &http.Server{Handler: metrics.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ms.Serve(ln) }()
		defer ms.Close()
		logger.Info("metrics listening", "addr", ln.Addr().String())
	}
	return serve(ctx, worker.New(c, newActivities(store, c, cfg, logger), sdkworker.Options{}), nil, nil)
}

func runMigrate(ctx context.Context, logger *slog.Logger, args []string) error {
	cfg, store, c, err := production(ctx, "migrate", logger, args, false)
	if err != nil {
		return err
	}
	defer store.Close()
	defer c.Close()
	n, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	if added, err := worker.EnsureSearchAttributes(ctx, c, cfg.Namespace); err != nil {
		return err
	} else if len(added) > 0 {
		fmt.Printf("added search attributes %v (the server's caches take up to a minute to use them)\n", added)
	}
	fmt.Printf("applied %d migration(s); search attributes registered on namespace %s\n", n, cfg.Namespace)
	return nil
}

func runPublish(ctx context.Context, logger *slog.Logger, args []string) error {
	var cfg config
	var in starter.Event
	var dataPath string
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	cfg.flags(fs, false)
	fs.StringVar(&in.Type, "event", "", "event type, e.g. summary.completed (required)")
	fs.StringVar(&in.ID, "id", "", "event id (default: generated); publishing an id twice delivers once")
	fs.StringVar(&in.UserID, "user", "", "user id the event is about")
	fs.StringVar(&in.OrganizationID, "org", "", "organization id the event is about")
	fs.StringVar(&dataPath, "data", "-", "file with the event's data JSON object, - for stdin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.useDev(fs, true); err != nil {
		return err
	}
	var r io.Reader = os.Stdin
	if dataPath != "-" {
		f, err := os.Open(dataPath)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, api.DefaultMaxBody+1))
	if err != nil {
		return err
	}
	in.Data = data
	store, c, err := connect(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	defer c.Close()
	res, err := (&starter.Publisher{Store: store, Temporal: c}).Publish(ctx, in)
	if err != nil {
		var herr *herald.Error
		if errors.As(err, &herr) {
			b, _ := json.Marshal(herr)
			return errors.New(string(b))
		}
		return err
	}
	b, _ := json.Marshal(map[string]any{"id": res.Event.ID, "event": res.Event.Type, "duplicate": res.Duplicate(),
		"outcome": res.Outcome()})
	fmt.Println(string(b))
	return nil
}
