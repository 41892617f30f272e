package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/devstack/devstacktest"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestDevComesUpServesAndStopsCleanly runs `herald dev` as a newcomer would (on free ports):
// the API answers with the generated admin key, the example catalog is loaded, the UI serves,
// and cancelling (Ctrl-C) stops everything, PostgreSQL included.
func TestDevComesUpServesAndStopsCleanly(t *testing.T) {
	dir := devstacktest.Dir(t)
	apiPort, temporalPort, uiPort := freePort(t), freePort(t), freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runDev(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), []string{
			"-data-dir", filepath.Join(dir, ".herald"), "-api-addr", fmt.Sprintf("127.0.0.1:%d", apiPort),
			"-temporal-port", fmt.Sprint(temporalPort), "-ui-port", fmt.Sprint(uiPort),
		})
	}()

	api := fmt.Sprintf("http://127.0.0.1:%d", apiPort)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("dev exited early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("dev never became ready")
		}
		time.Sleep(100 * time.Millisecond)
	}

	key, err := os.ReadFile(filepath.Join(dir, ".herald", "admin-key"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", api+"/api/v1/event-types", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Data []struct{ Name string } `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(list.Data) < 40 {
		t.Fatalf("event types: %d, %d entries, %v", resp.StatusCode, len(list.Data), err)
	}
	if ui, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", uiPort)); err != nil || ui.StatusCode != 200 {
		t.Fatalf("temporal UI: %v %v", ui, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dev stopped with %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("dev did not stop within 60 s of Ctrl-C")
	}
	if _, err := os.Stat(filepath.Join(dir, ".herald", "postgres", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("PostgreSQL still running after dev stopped (postmaster.pid: %v)", err)
	}
	if _, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", temporalPort)); err == nil {
		t.Fatal("Temporal still listening after dev stopped")
	}
}
