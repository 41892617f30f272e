package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/internal/bench"
)

// TestSmokeDeliversEveryEventOnceAndReportsEveryFigure runs a tiny benchmark on an ephemeral
// stack: every event reaches every webhook exactly once with a valid signature, and the report's
// last line is a JSON object with every figure the issue asks for. It asserts no speed.
func TestSmokeDeliversEveryEventOnceAndReportsEveryFigure(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and Temporal")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for _, via := range []string{"rest", "starter"} {
		res, err := bench.Run(ctx, bench.Options{
			Events: 20, Fanout: 2, Concurrency: 4, Via: via, FloorWorkflows: 10, HistorySample: 3,
			Ephemeral: true, Timeout: time.Minute,
		})
		if err != nil {
			t.Fatalf("%s: %v", via, err)
		}
		if res.Lost != 0 || res.Duplicates != 0 || res.PublishErrors != 0 {
			t.Fatalf("%s: lost %d, duplicates %d, publish errors %d", via, res.Lost, res.Duplicates, res.PublishErrors)
		}
		if res.Deliveries != 40 || res.BadSignatures != 0 || res.SignaturesVerified == 0 {
			t.Fatalf("%s: %d deliveries, %d signatures verified, %d bad", via, res.Deliveries, res.SignaturesVerified, res.BadSignatures)
		}
		if res.HistorySampleEvents != 3 || res.HistoryEventsPerDelivery <= 0 || res.FloorWfPerS <= 0 {
			t.Fatalf("%s: history %v over %d events, floor %v", via, res.HistoryEventsPerDelivery, res.HistorySampleEvents, res.FloorWfPerS)
		}
		// A successful delivery writes its workflows' list rows once at start and once at close:
		// at fan-out 2, (1 event workflow + 2 deliveries) x 2 / 2 deliveries = 3, and no upsert.
		if res.VisibilityUpsertsPerDelivery != 0 || res.VisibilityWritesPerDelivery <= 0 || res.VisibilityWritesPerDelivery > 3 {
			t.Errorf("%s: visibility writes per delivery %v (upserts %v), want 3 and none", via, res.VisibilityWritesPerDelivery, res.VisibilityUpsertsPerDelivery)
		}

		var out bytes.Buffer
		if err := res.WriteTable(&out); err != nil {
			t.Fatal(err)
		}
		if err := res.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
			t.Fatalf("%s: last line is not JSON: %v\n%s", via, err, out.String())
		}
		for _, k := range []string{"deliveries_per_s", "floor_wf_per_s", "floor_ratio", "lost", "duplicates",
			"history_events_per_delivery", "publish_p50_ms", "publish_p99_ms", "e2e_p50_ms", "e2e_p90_ms", "e2e_p99_ms",
			"e2e_max_ms", "fanout", "events", "cpu_s_per_1k_herald", "cpu_s_per_1k_temporal", "cpu_s_per_1k_postgres", "visibility_writes_per_delivery"} {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: JSON has no %q: %s", via, k, lines[len(lines)-1])
			}
		}
		if got["lost"] != 0.0 || got["duplicates"] != 0.0 || got["fanout"] != 2.0 || got["events"] != 20.0 {
			t.Errorf("%s: JSON figures: %v", via, got)
		}
	}
}
