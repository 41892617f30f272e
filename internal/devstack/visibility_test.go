package devstack

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald/internal/temporalclient"
)

// TestVisibilityKeepsTheIndexesItsListsUse: the embedded stack's visibility table keeps exactly
// the indexes of visibilityIndexes, and the UI's kinds of list filters (a custom keyword, the
// status, the type, a column whose index was dropped) still answer.
func TestVisibilityKeepsTheIndexesItsListsUse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "temporal.db")
	attr := temporal.NewSearchAttributeKeyKeyword("HeraldTestAttr")
	tmp, err := StartTemporal(ctx, TemporalOptions{DBFile: dbFile,
		SearchAttributes: map[string]enumspb.IndexedValueType{attr.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD}})
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Stop()

	db, err := sql.Open("sqlite", "file:"+visibilityFile(dbFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions_visibility' AND sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		have[name] = true
	}
	rows.Close()
	for name := range visibilityIndexes {
		if !have[name] {
			t.Errorf("index %s is missing", name)
		}
	}
	for name := range have {
		if !visibilityIndexes[name] {
			t.Errorf("index %s was not dropped", name)
		}
	}

	c, err := temporalclient.Dial(ctx, tmp.Address(), "default", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "listed", TaskQueue: "visibility-test", TypedSearchAttributes: temporal.NewSearchAttributes(attr.ValueSet("wh_1")),
	}, "NoSuchWorkflow"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`HeraldTestAttr = "wh_1"`,
		`HeraldTestAttr = "wh_1" AND ExecutionStatus = "Running"`,
		`WorkflowType = "NoSuchWorkflow" AND StartTime > "2000-01-01T00:00:00Z"`,
		`ExecutionTime > "2000-01-01T00:00:00Z" AND WorkflowId = "listed"`, // by_execution_time was dropped: a scan
	} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: q})
			if err == nil && len(resp.GetExecutions()) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v %v", q, resp, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}
