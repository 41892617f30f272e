package devstack

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/herald-webhooks/herald/internal/temporalclient"
)

// TestTemporalKeepsVisibilityInItsOwnFileAcrossRestarts: a new data dir gets the visibility
// store in its own SQLite file; after a restart both the workflow and its list entry are there.
// A data dir from before the split (one file) keeps working as one file.
func TestTemporalKeepsVisibilityInItsOwnFileAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "temporal.db")
	visFile := filepath.Join(dir, "temporal-visibility.db")

	start := func() (*Temporal, client.Client) {
		t.Helper()
		tmp, err := StartTemporal(ctx, TemporalOptions{DBFile: dbFile})
		if err != nil {
			t.Fatal(err)
		}
		c, err := temporalclient.Dial(ctx, tmp.Address(), "default", slog.New(slog.DiscardHandler))
		if err != nil {
			tmp.Stop()
			t.Fatal(err)
		}
		return tmp, c
	}
	startWorkflow := func(c client.Client, id string) {
		t.Helper()
		if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "layout-test"}, "NoSuchWorkflow"); err != nil {
			t.Fatal(err)
		}
	}
	listed := func(c client.Client, id string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Namespace: "default", Query: "WorkflowId = '" + id + "'",
			})
			if err == nil && len(resp.GetExecutions()) == 1 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("workflow %s is not listed: %v %v", id, resp, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	tmp, c := start()
	startWorkflow(c, "before-restart")
	listed(c, "before-restart")
	c.Close()
	tmp.Stop()
	if !fileExists(visFile) {
		t.Fatalf("no visibility file %s", visFile)
	}

	tmp, c = start()
	if _, err := c.DescribeWorkflowExecution(ctx, "before-restart", ""); err != nil {
		t.Fatalf("workflow lost across the restart: %v", err)
	}
	listed(c, "before-restart")
	c.Close()
	tmp.Stop()

	// One file, as data dirs made before the split have it: no visibility file appears and the
	// lists still work from the main file.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(visFile + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	tmp, c = start()
	defer tmp.Stop()
	defer c.Close()
	startWorkflow(c, "one-file")
	listed(c, "one-file")
	if fileExists(visFile) {
		t.Fatal("a one-file data dir got a visibility file")
	}
}
