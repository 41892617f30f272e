// Command herald runs Herald: `herald dev` for everything on one machine, or `herald migrate`,
// `herald api` and `herald worker` against external PostgreSQL and Temporal, and
// `herald publish` to publish an event from the shell.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Herald: durable webhook delivery on Temporal.

Usage: herald <command> [flags]

Commands:
  dev       run everything on this machine: embedded Temporal + Web UI, private PostgreSQL, worker, API
  api       run the REST API (HERALD_DATABASE_URL, HERALD_TEMPORAL_ADDRESS)
  worker    run a Temporal worker (HERALD_DATABASE_URL, HERALD_TEMPORAL_ADDRESS)
  migrate   apply database migrations and register Temporal search attributes
  publish   publish an event (the Go starter as a command)
  keys      manage admin API keys: keys create [-name NAME] | keys list | keys revoke ID
  receive   a local webhook endpoint that prints (and verifies) what Herald sends, for trying it out
  bench     measure deliveries/s, latency and the engine floor on an embedded stack: bench -events 2000
  chaos     kill -9 each part of the production topology in turn under load and check nothing is lost

Run "herald <command> -h" for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))

	cmds := map[string]func(context.Context, *slog.Logger, []string) error{
		"dev": runDev, "api": runAPI, "worker": runWorker, "migrate": runMigrate,
		"publish": runPublish, "keys": runKeys, "receive": runReceive,
		"bench": runBench, "chaos": runChaos,
	}
	run, ok := cmds[os.Args[1]]
	if !ok {
		if os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
			fmt.Print(usage)
			return
		}
		fmt.Fprintf(os.Stderr, "herald: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err := run(ctx, logger, os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "herald %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("HERALD_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
