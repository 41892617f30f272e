package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/api"
)

// TestAPITimeoutsComeFromFlagsAndEnvironment: the API's connection timeouts are settings, and a
// value that is not a positive duration stops the command instead of being ignored.
func TestAPITimeoutsComeFromFlagsAndEnvironment(t *testing.T) {
	for _, k := range []string{"HERALD_API_READ_HEADER_TIMEOUT", "HERALD_API_READ_TIMEOUT", "HERALD_API_WRITE_TIMEOUT", "HERALD_API_IDLE_TIMEOUT"} {
		t.Setenv(k, "")
	}
	parse := func(args ...string) config {
		var c config
		fs := newFlagSet()
		fs.SetOutput(io.Discard)
		c.flags(fs, false)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := parse().APITimeouts; got != api.DefaultTimeouts {
		t.Errorf("defaults %+v, want %+v", got, api.DefaultTimeouts)
	}
	t.Setenv("HERALD_API_READ_TIMEOUT", "2s")
	hs := newServer(nil, nil, parse("-api-idle-timeout", "5s"), slog.New(slog.NewTextHandler(io.Discard, nil))).HTTPServer()
	if hs.ReadTimeout != 2*time.Second || hs.IdleTimeout != 5*time.Second || hs.WriteTimeout != api.DefaultTimeouts.Write ||
		hs.ReadHeaderTimeout != api.DefaultTimeouts.ReadHeader {
		t.Errorf("server timeouts read %v idle %v write %v header %v", hs.ReadTimeout, hs.IdleTimeout, hs.WriteTimeout, hs.ReadHeaderTimeout)
	}

	var c config
	fs := newFlagSet()
	fs.SetOutput(io.Discard)
	c.flags(fs, false)
	if err := fs.Parse([]string{"-api-write-timeout", "0s"}); err == nil {
		t.Error("-api-write-timeout 0s was accepted")
	}
	t.Setenv("HERALD_API_WRITE_TIMEOUT", "soon")
	err := runAPI(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), "HERALD_API_WRITE_TIMEOUT") {
		t.Errorf("api with HERALD_API_WRITE_TIMEOUT=soon: %v, want an error naming it", err)
	}
}
