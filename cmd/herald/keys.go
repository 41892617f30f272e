package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/postgres"
)

const keysUsage = "usage: herald keys create [-name NAME] | herald keys list | herald keys revoke ID"

func runKeys(ctx context.Context, _ *slog.Logger, args []string) error {
	return keysCommand(ctx, os.Stdout, args)
}

// keysCommand manages admin keys in the database: create prints a new key once (only its hash
// is stored), list shows every key's id, name and dates but never a key, revoke makes a key
// answer 401 from then on.
func keysCommand(ctx context.Context, out io.Writer, args []string) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	sub, args := args[0], args[1:]
	var cfg config
	var name, id string
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	cfg.flags(fs, false)
	switch sub {
	case "create":
		fs.StringVar(&name, "name", "cli", "a name to recognise the key by")
	case "list":
	case "revoke":
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") { // the id may come before the flags
			id, args = args[0], args[1:]
		}
	default:
		return errors.New(keysUsage)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if sub == "revoke" && id == "" && len(rest) > 0 {
		id, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 || (sub == "revoke" && id == "") {
		return errors.New(keysUsage)
	}
	if sub == "revoke" && !herald.ValidID(id) {
		return fmt.Errorf("%q is not a key id: %s", id, herald.IDRule)
	}
	if p := herald.TextProblem(name); p != "" {
		return fmt.Errorf("-name %s", p)
	}
	if len(name) > 200 {
		return errors.New("-name must be at most 200 characters")
	}
	if err := cfg.useDev(fs, false); err != nil {
		return err
	}
	store, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.Close()

	switch sub {
	case "create":
		key := herald.NewID("hk_")
		id, err := store.CreateAPIKey(ctx, name, key)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "id %s\nkey %s\n(the key is shown once; only its hash is stored)\n", id, key)
	case "list":
		keys, err := store.APIKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Name, k.CreatedAt.UTC().Format(time.RFC3339), revokedAt(k.RevokedAt))
		}
		return tw.Flush()
	case "revoke":
		k, err := store.RevokeAPIKey(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "revoked %s (%s) at %s\n", k.ID, k.Name, revokedAt(k.RevokedAt))
	}
	return nil
}

func revokedAt(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
