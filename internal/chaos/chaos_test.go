package chaos_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/internal/chaos"
	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
	"github.com/herald-webhooks/herald/internal/topology"
	"github.com/herald-webhooks/herald/internal/topology/topologytest"
)

// TestAWorkerAndTheTemporalServerKilledUnderLoadLoseNothing is the short version of
// `herald chaos`: on the production topology, at 5 events/s to a personal and an
// organization webhook, kill -9 one worker, then the Temporal server, each restarted after
// 5 s. Every accepted event reaches both webhooks, every delivery ends final in the log, and
// the API answers nothing but 202 and 503.
func TestAWorkerAndTheTemporalServerKilledUnderLoadLoseNothing(t *testing.T) {
	bins := topologytest.Binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := devstacktest.Dir(t)
	herald, err := topology.BuildHerald(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	res, err := chaos.Run(ctx, chaos.Options{
		Rate: 5, Scenarios: []string{"worker", "temporal"}, Before: 3 * time.Second, Down: 5 * time.Second,
		After: 5 * time.Second, Settle: 3 * time.Minute, Dir: dir, Herald: herald, Binaries: bins, Progress: &progress,
	})
	var table bytes.Buffer
	if res != nil {
		_ = res.WriteTable(&table)
	}
	t.Logf("progress:\n%s\n%s", progress.String(), table.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Scenarios {
		if s.Accepted == 0 {
			t.Errorf("%s: no event was accepted", s.Name)
		}
		if s.Lost != 0 || s.NotFinal != 0 || s.SucceededNotReceived != 0 {
			t.Errorf("%s: %d lost, %d not final, %d marked succeeded but never received", s.Name, s.Lost, s.NotFinal, s.SucceededNotReceived)
		}
		if s.Defects != 0 || s.BadSignatures != 0 {
			t.Errorf("%s: %d answers 5xx other than 503, %d bad signatures (answers %v)", s.Name, s.Defects, s.BadSignatures, s.Answers)
		}
		if len(s.Crashes) != 0 {
			t.Errorf("%s: processes exited on their own: %v", s.Name, s.Crashes)
		}
	}
	if !res.OK {
		t.Error("the run is not OK")
	}
}
