package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"github.com/herald-webhooks/herald/internal/bench"
	"github.com/herald-webhooks/herald/internal/postgres"
)

// runBench is `herald bench`: one benchmark run; the table, then one JSON line, on stdout.
func runBench(ctx context.Context, _ *slog.Logger, args []string) error {
	var o bench.Options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.Events, "events", 1000, "events to publish")
	fs.IntVar(&o.Fanout, "fanout", 1, "webhooks per event")
	fs.IntVar(&o.Concurrency, "concurrency", 16, "concurrent publishers (closed loop), or the most in flight when paced")
	fs.Float64Var(&o.Rate, "rate", 0, "events per second (0: closed loop)")
	fs.StringVar(&o.Via, "via", "rest", "publish through the REST API (rest) or the Go starter (starter)")
	fs.IntVar(&o.FloorWorkflows, "floor-workflows", 0, "bare workflows of the engine floor (0: the expected deliveries, 50 to 2000; -1: skip)")
	fs.BoolVar(&o.FloorEagerStart, "floor-eager", false, "start the floor's workflows with eager workflow start")
	fs.IntVar(&o.HistorySample, "history-sample", 10, "events whose Temporal histories are counted")
	fs.IntVar(&o.SignatureSample, "sample", 100, "about how many deliveries get their signature verified")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "how long to wait for deliveries after the last publish")
	fs.StringVar(&o.DataDir, "data-dir", "", "keep the embedded stack here (default: a temporary directory, removed)")
	secretVar(fs, &o.DatabaseURL, "database-url", env("HERALD_DATABASE_URL", ""), "external PostgreSQL `URL` (env HERALD_DATABASE_URL)", postgres.RedactURL)
	fs.StringVar(&o.TemporalAddress, "temporal-address", env("HERALD_TEMPORAL_ADDRESS", ""), "external Temporal (env HERALD_TEMPORAL_ADDRESS)")
	fs.StringVar(&o.Namespace, "namespace", env("HERALD_TEMPORAL_NAMESPACE", "default"), "Temporal namespace")
	fs.StringVar(&o.ProfileDir, "profile-dir", "", "write CPU profiles of the floor and the Herald phase here")
	fs.DurationVar(&o.Outage, "outage", 0, "take the receiver down (503) for this long during the run (0: no outage)")
	fs.DurationVar(&o.OutageAfter, "outage-after", 10*time.Second, "when the outage starts, after the first publish")
	topo := fs.Bool("topology", false, "run on the production topology: Herald's PostgreSQL, a Temporal server process on its own PostgreSQL, one herald api and -workers herald worker processes (internal/topology)")
	var to bench.TopologyOptions
	fs.IntVar(&to.Workers, "workers", 2, "-topology: herald worker processes")
	fs.IntVar(&to.HistoryShards, "shards", 0, "-topology: the Temporal cluster's numHistoryShards (0: the topology's default, 4)")
	dyn := keyValues{}
	fs.Var(dyn, "dynamic-config", "-topology: a Temporal dynamic config `key=value` (value in JSON; repeatable)")
	tpg := keyValues{}
	fs.Var(tpg, "temporal-pg", "-topology: a setting of Temporal's PostgreSQL, `name=value` (ALTER SYSTEM, reload; repeatable)")
	timeline := fs.Bool("timeline", false, "print one event's workflow histories with times (where latency goes) on stderr")
	var wo sdkworker.Options
	fs.IntVar(&wo.MaxConcurrentWorkflowTaskPollers, "wf-pollers", 0, "worker workflow task pollers (0: SDK default)")
	fs.IntVar(&wo.MaxConcurrentActivityTaskPollers, "act-pollers", 0, "worker activity task pollers (0: SDK default)")
	fs.IntVar(&wo.MaxConcurrentWorkflowTaskExecutionSize, "wf-slots", 0, "worker concurrent workflow tasks (0: SDK default)")
	fs.IntVar(&wo.MaxConcurrentActivityExecutionSize, "act-slots", 0, "worker concurrent activities (0: SDK default)")
	fs.BoolVar(&wo.DisableEagerActivities, "no-eager-activities", false, "disable eager activity execution in the worker")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Worker = wo
	o.Progress = os.Stderr
	if *topo {
		return runBenchTopology(ctx, o, to, dyn, tpg)
	}
	if *timeline {
		o.Timeline = os.Stderr
	}
	res, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	return report(res)
}

// runBenchTopology is `herald bench -topology`: this binary runs the topology's herald processes.
func runBenchTopology(ctx context.Context, o bench.Options, to bench.TopologyOptions, dyn, tpg keyValues) error {
	if o.DatabaseURL != "" || o.TemporalAddress != "" {
		return errors.New("bench: -topology starts its own PostgreSQL and Temporal; unset -database-url, -temporal-address and their variables")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: the herald binary for the topology: %w", err)
	}
	to.Options, to.Herald, to.Dir = o, self, o.DataDir
	if len(dyn) > 0 {
		to.DynamicConfig = map[string]any{}
		for k, v := range dyn {
			var x any
			if err := json.Unmarshal([]byte(v), &x); err != nil {
				return fmt.Errorf("bench: -dynamic-config %s=%s: the value is not JSON: %w", k, v, err)
			}
			to.DynamicConfig[k] = x
		}
	}
	if len(tpg) > 0 {
		to.TemporalPostgres = tpg
	}
	res, err := bench.RunTopology(ctx, to)
	if err != nil {
		return err
	}
	return report(res)
}

// keyValues is a repeatable name=value flag.
type keyValues map[string]string

func (kv keyValues) String() string { return "" }

func (kv keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not name=value", s)
	}
	kv[k] = v
	return nil
}

// report prints a bench result as its table and JSON line, and fails the command when a
// delivery was lost or duplicated.
func report(res interface {
	WriteTable(io.Writer) error
	WriteJSON(io.Writer) error
	Counts() (lost, duplicates int)
}) error {
	if err := res.WriteTable(os.Stdout); err != nil {
		return err
	}
	if err := res.WriteJSON(os.Stdout); err != nil {
		return err
	}
	if lost, dup := res.Counts(); lost > 0 || dup > 0 {
		return fmt.Errorf("%d lost and %d duplicated deliveries", lost, dup)
	}
	return nil
}
