package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/herald-webhooks/herald/internal/chaos"
	"github.com/herald-webhooks/herald/internal/topology"
)

// runChaos is `herald chaos`: the fault harness on the production topology; the table, then
// one JSON line, on stdout. It fails when a scenario broke a promise.
func runChaos(ctx context.Context, _ *slog.Logger, args []string) error {
	var o chaos.Options
	var scenarios, server, sqlTool string
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.Float64Var(&o.Rate, "rate", 10, "events per second during each scenario (each to 2 webhooks)")
	fs.IntVar(&o.Events, "events", 0, "most events per scenario (0: rate x the scenario's length)")
	fs.StringVar(&scenarios, "scenarios", strings.Join(chaos.Scenarios(), ","), "comma-separated scenarios to run, in order")
	fs.DurationVar(&o.Before, "before", 5*time.Second, "publishing before each fault")
	fs.DurationVar(&o.Down, "down", 10*time.Second, "how long a killed component stays down (both workers: 20s; the receiver: 60s)")
	fs.DurationVar(&o.After, "after", 10*time.Second, "publishing after each restart")
	fs.DurationVar(&o.Settle, "settle", 5*time.Minute, "how long each scenario may take to deliver everything after publishing ends")
	fs.StringVar(&o.Dir, "dir", "", "keep the topology (databases, configs, logs) here (default: a temporary directory, removed)")
	fs.StringVar(&server, "temporal-server", "", "Temporal server binary (default: built with go install into the cache dir when missing)")
	fs.StringVar(&sqlTool, "temporal-sql-tool", "", "Temporal's schema tool binary (with -temporal-server)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Scenarios = strings.Split(scenarios, ",")
	o.Progress = os.Stderr
	herald, err := os.Executable()
	if err != nil {
		return err
	}
	o.Herald = herald
	version := topology.TemporalVersion()
	switch {
	case server != "" || sqlTool != "":
		if server == "" || sqlTool == "" {
			return errors.New("give both -temporal-server and -temporal-sql-tool, or neither")
		}
		o.Binaries = topology.Binaries{TemporalServer: server, TemporalSQLTool: sqlTool}
		if o.Binaries.SchemaDir, err = topology.SchemaDir(ctx, version); err != nil {
			return err
		}
	default:
		fmt.Fprintf(os.Stderr, "chaos: finding or building the Temporal server %s (go install, a few minutes the first time)\n", version)
		if o.Binaries, err = topology.InstallTemporal(ctx, version); err != nil {
			return err
		}
	}
	res, err := chaos.Run(ctx, o)
	if res != nil {
		if werr := res.WriteTable(os.Stdout); werr != nil {
			return werr
		}
		if werr := res.WriteJSON(os.Stdout); werr != nil {
			return werr
		}
	}
	if err != nil {
		return err
	}
	if !res.OK {
		return errors.New("a scenario broke a promise (see the table)")
	}
	return nil
}
