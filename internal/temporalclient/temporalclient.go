// Package temporalclient connects Herald's processes to a Temporal frontend: the dev stack's
// embedded server or a production cluster. It is apart from the dev stack so that `herald api`
// and `herald worker` do not depend on the code that embeds a server.
package temporalclient

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// Dial connects a Temporal client, retrying while a just-started server comes up.
func Dial(ctx context.Context, address, namespace string, logger *slog.Logger) (client.Client, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		opts := client.Options{
			HostPort: address, Namespace: namespace, Logger: sdklog.NewStructuredLogger(quiet(logger)),
		}
		if isLoopback(address) {
			// gzip costs CPU on both ends and saves nothing on loopback (the SDK's default is gzip).
			opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
		}
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("connect to temporal at %s: %w", address, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// isLoopback reports whether a host:port names this machine.
func isLoopback(address string) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// quiet drops the SDK's info and debug logs (one line per poll and start).
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}
