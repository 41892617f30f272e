package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/internal/devstack"
	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
	"github.com/herald-webhooks/herald/internal/secretbox"
)

// TestMigrateAPIAndWorkerDeliverAgainstExternalServices is the production shape: `herald migrate`,
// `herald api` and `herald worker` as separate commands against a PostgreSQL and a Temporal they
// did not start.
func TestMigrateAPIAndWorkerDeliverAgainstExternalServices(t *testing.T) {
	dir := devstacktest.Dir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stack, err := devstack.Start(ctx, devstack.StackOptions{DataDir: dir, Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	common := []string{"-database-url", stack.DatabaseURL, "-temporal-address", stack.TemporalAddress,
		"-secret-key", secretbox.EncodeKey(secretbox.NewKey()), "-allow-http", "-allow-loopback"}

	if err := runMigrate(ctx, logger, common); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if _, err := loadCatalog(ctx, stack.Store); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("webhook-id")
	}))
	defer recv.Close()

	apiPort := freePort(t)
	const key = "hk_production_test"
	errs := make(chan error, 2)
	go func() {
		errs <- runAPI(ctx, logger, append(common, "-api-addr", fmt.Sprintf("127.0.0.1:%d", apiPort), "-admin-key", key))
	}()
	go func() { errs <- runWorker(ctx, logger, common) }()

	api := fmt.Sprintf("http://127.0.0.1:%d/api/v1", apiPort)
	call := func(method, path, body string) int {
		req, _ := http.NewRequest(method, api+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(30 * time.Second)
	for call("PUT", "/users/u_1", `{}`) != 200 {
		if time.Now().After(deadline) {
			t.Fatal("herald api never answered")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if c := call("POST", "/users/u_1/webhooks", `{"url":"`+recv.URL+`","events":["*"],"active":true}`); c != 201 {
		t.Fatalf("create webhook: %d", c)
	}
	if c := call("POST", "/events", `{"id":"evt_prod_1","event":"summary.completed","user_id":"u_1","data":{"recording":{"id":"rec_1"}}}`); c != 202 {
		t.Fatalf("publish: %d", c)
	}
	select {
	case id := <-got:
		if id != "evt_prod_1" {
			t.Fatalf("webhook-id %q", id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the worker never delivered")
	}
	cancel()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("command stopped with %v", err)
		}
	}
}
