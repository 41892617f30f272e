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

	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
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
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // dev leaves a pointer to its data dir there
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

// TestPublishAndKeysFindDevWhereverItRuns is a second terminal beside `herald dev` started on
// other ports and another data dir: `herald publish` and `herald keys`, run elsewhere with
// none of dev's flags or variables, reach that stack, and once it stops they fail at once with
// a message that says so.
func TestPublishAndKeysFindDevWhereverItRuns(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the user's config dir, where dev leaves its pointer
	dataDir := filepath.Join(devstacktest.Dir(t), "elsewhere")
	apiPort, temporalPort := freePort(t), freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	done := make(chan error, 1)
	go func() {
		done <- runDev(ctx, logger, []string{
			"-data-dir", dataDir, "-api-addr", fmt.Sprintf("127.0.0.1:%d", apiPort),
			"-temporal-port", fmt.Sprint(temporalPort), "-ui-port", "0", "-namespace", "default",
		})
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", apiPort)); err == nil {
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

	key, err := os.ReadFile(filepath.Join(dataDir, "admin-key"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", fmt.Sprintf("http://127.0.0.1:%d/api/v1/users/u_1", apiPort), strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("create user: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	t.Chdir(t.TempDir()) // the second terminal: another directory, no .herald here
	data := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(data, []byte(`{"recording":{"id":"rec_1"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	publish := func() (time.Duration, error) {
		began := time.Now()
		pctx, pcancel := context.WithTimeout(context.Background(), time.Minute)
		defer pcancel()
		err := runPublish(pctx, logger, []string{"-event", "summary.completed", "-user", "u_1", "-data", data})
		return time.Since(began), err
	}
	if took, err := publish(); err != nil || took > 15*time.Second {
		t.Fatalf("publish beside dev: %v after %v", err, took)
	} else {
		t.Logf("publish beside dev took %v", took)
	}
	var out strings.Builder
	if err := keysCommand(ctx, &out, []string{"create", "-name", "second-terminal"}); err != nil || !strings.Contains(out.String(), "key hk_") {
		t.Fatalf("keys create beside dev: %v\n%s", err, out.String())
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
	took, err := publish()
	if err == nil || took > 10*time.Second || !strings.Contains(err.Error(), "herald dev") || !strings.Contains(err.Error(), dataDir) {
		t.Fatalf("publish with dev stopped: %v after %v, want a prompt error naming %s and herald dev", err, took, dataDir)
	}
	t.Logf("publish with dev stopped failed after %v: %v", took, err)
}
