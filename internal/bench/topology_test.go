package bench

import (
	"context"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
	"github.com/herald-webhooks/herald/internal/topology"
	"github.com/herald-webhooks/herald/internal/topology/topologytest"
)

// TestTopologyRunDeliversEverythingAndMeasuresEachProcess runs a small `herald bench -topology`:
// every delivery arrives once through the separate api and worker processes, and the costs
// come from each process and each PostgreSQL cluster.
func TestTopologyRunDeliversEverythingAndMeasuresEachProcess(t *testing.T) {
	bins := topologytest.Binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := devstacktest.Dir(t)
	herald, err := topology.BuildHerald(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunTopology(ctx, TopologyOptions{
		Options: Options{Events: 20, Fanout: 2, Concurrency: 4, FloorWorkflows: 20, HistorySample: 2, SignatureSample: 10},
		Herald:  herald, Binaries: bins, Dir: dir, IdleFor: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deliveries != 40 || res.Lost != 0 || res.Duplicates != 0 || res.BadSignatures != 0 {
		t.Fatalf("deliveries %d, lost %d, duplicates %d, bad signatures %d; want 40, 0, 0, 0", res.Deliveries, res.Lost, res.Duplicates, res.BadSignatures)
	}
	if res.SignaturesVerified == 0 || res.HistoryEventsPerDelivery == 0 || res.FloorWfPerS == 0 {
		t.Errorf("signatures verified %d, history events per delivery %v, floor %v: want each above 0",
			res.SignaturesVerified, res.HistoryEventsPerDelivery, res.FloorWfPerS)
	}
	for _, p := range []string{"temporal", "api", "workers", "temporal_postgres", "herald_postgres"} {
		if res.Herald.CPUms[p] <= 0 {
			t.Errorf("CPU of %s per delivery: %v, want above 0 (%v)", p, res.Herald.CPUms[p], res.Herald.CPUms)
		}
	}
	if res.Herald.TemporalWriteTxns <= 0 || res.Herald.TemporalRows <= 0 || res.Herald.PersistenceRequests <= 0 || res.Herald.HeraldRows <= 0 {
		t.Errorf("writes per delivery: %+v; want Temporal's and Herald's above 0", res.Herald)
	}
}
