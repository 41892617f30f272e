package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// runReceive is a local webhook endpoint for trying Herald out: it prints every request and,
// given the webhook's secret, checks its Standard Webhooks signature with the official library.
func runReceive(ctx context.Context, _ *slog.Logger, args []string) error {
	var addr, secret string
	var status int
	fs := flag.NewFlagSet("receive", flag.ContinueOnError)
	fs.StringVar(&addr, "addr", "127.0.0.1:9000", "listen address")
	secretVar(fs, &secret, "secret", os.Getenv("HERALD_RECEIVE_SECRET"), "webhook `secret` (whsec_...) to verify signatures with (env HERALD_RECEIVE_SECRET)", nil)
	fs.IntVar(&status, "status", 200, "HTTP status to answer with (e.g. 500 to watch retries, 410 to see a gone endpoint)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var verifier *standardwebhooks.Webhook
	if secret != "" {
		v, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			return fmt.Errorf("secret: %w", err)
		}
		verifier = v
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("Receiving webhooks on http://%s/ (answering %d). Ctrl-C to stop.\n", ln.Addr(), status)
	var mu sync.Mutex
	n := 0
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		mu.Lock()
		defer mu.Unlock()
		n++
		check := "not checked (pass -secret to verify)"
		if verifier != nil {
			if err := verifier.Verify(body, r.Header); err != nil {
				check = "INVALID: " + err.Error()
			} else {
				check = "verified"
			}
		}
		var names []string
		for k := range r.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		var b strings.Builder
		fmt.Fprintf(&b, "\n#%d %s %s  signature %s\n", n, r.Method, r.URL.Path, check)
		for _, k := range names {
			fmt.Fprintf(&b, "  %s: %s\n", k, strings.Join(r.Header[k], ", "))
		}
		fmt.Fprintf(&b, "  %s\n", body)
		fmt.Print(b.String())
		w.WriteHeader(status)
	})}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
