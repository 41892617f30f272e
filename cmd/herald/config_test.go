package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-webhooks/herald/internal/secretbox"
)

func TestAPIAndWorkerRefuseToStartWithoutTheSecretKey(t *testing.T) {
	t.Setenv("HERALD_SECRET_KEY", "")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	args := []string{"-database-url", "postgres://127.0.0.1:1/x", "-temporal-address", "127.0.0.1:1"}
	for name, run := range map[string]func(context.Context, *slog.Logger, []string) error{"api": runAPI, "worker": runWorker} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), logger, args)
			if err == nil || !strings.Contains(err.Error(), "set HERALD_SECRET_KEY") {
				t.Fatalf("err %v", err)
			}
			err = run(context.Background(), logger, append(args, "-secret-key", "dG9vIHNob3J0"))
			if err == nil || !strings.Contains(err.Error(), "HERALD_SECRET_KEY: secretbox: key must decode to 32 bytes") {
				t.Fatalf("short key: err %v", err)
			}
		})
	}
}

func TestDevKeepsItsSecretKeyInTheDataDir(t *testing.T) {
	cfg := config{DataDir: t.TempDir()}
	first, err := cfg.devSecretBox()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg.DataDir, "secret-key")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", fi, err)
	}
	second, err := cfg.devSecretBox()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.Open(first.Seal([]byte("whsec_x"), "wh_1"), "wh_1"); err != nil {
		t.Fatalf("a second start does not open what the first sealed: %v", err)
	}
	cfg.SecretKey = secretbox.EncodeKey(secretbox.NewKey())
	third, err := cfg.devSecretBox()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := third.Open(first.Seal([]byte("whsec_x"), "wh_1"), "wh_1"); err == nil {
		t.Fatal("HERALD_SECRET_KEY did not take precedence over the file")
	}
}

func TestURLPolicyDefaults(t *testing.T) {
	for _, k := range []string{"HERALD_ALLOW_HTTP", "HERALD_ALLOW_LOOPBACK", "HERALD_ALLOW_PRIVATE_NETWORKS"} {
		t.Setenv(k, "")
	}
	parse := func(dev bool, args ...string) config {
		var c config
		fs := newFlagSet()
		c.flags(fs, dev)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if p := parse(true).urlPolicy(); !p.AllowHTTP || !p.AllowLoopback || p.AllowPrivate {
		t.Fatalf("dev policy %+v", p)
	}
	if p := parse(false).urlPolicy(); p.AllowHTTP || p.AllowLoopback || p.AllowPrivate {
		t.Fatalf("production policy %+v", p)
	}
	t.Setenv("HERALD_ALLOW_PRIVATE_NETWORKS", "true")
	if p := parse(false, "-allow-http").urlPolicy(); !p.AllowHTTP || p.AllowLoopback || !p.AllowPrivate {
		t.Fatalf("configured policy %+v", p)
	}
}

func newFlagSet() *flag.FlagSet { return flag.NewFlagSet("test", flag.ContinueOnError) }
