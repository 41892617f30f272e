package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"golang.org/x/sync/errgroup"
)

// The engine floor: a bare workflow that runs one no-op activity, on its own task queue with
// its own worker. Its throughput on the same server, with the same concurrency, bounds what any
// workflow-per-delivery design can reach there.
const (
	floorWorkflowName = "HeraldBenchFloor"
	floorActivityName = "HeraldBenchNoop"
)

func floorWorkflow(ctx workflow.Context, startedNS int64) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	return workflow.ExecuteActivity(ctx, floorActivityName, startedNS).Get(ctx, nil)
}

// floorCounter is the no-op activity: it only notes when it ran (the floor's "delivery").
type floorCounter struct {
	n         atomic.Int64
	mu        sync.Mutex
	last      time.Time
	latencies []time.Duration // start call to activity run
}

func (f *floorCounter) noop(ctx context.Context, startedNS int64) error {
	now := time.Now()
	f.n.Add(1)
	f.mu.Lock()
	f.last = now
	f.latencies = append(f.latencies, now.Sub(time.Unix(0, startedNS)))
	f.mu.Unlock()
	_ = activity.GetInfo(ctx)
	return nil
}

// floorLatencyRuns is how many workflows the floor's latency is the median of.
const floorLatencyRuns = 20

type floorResult struct {
	Workflows int
	Elapsed   time.Duration
	PerSecond float64
	CPU       time.Duration // this process's CPU time while the floor ran (server, worker, starters)
	// Latency is the median time from start call to activity run of one workflow at a time,
	// measured after the throughput part on an idle server: the engine's own latency.
	Latency time.Duration
}

// runFloor starts n floor workflows from conc concurrent starters (each starts its next one as
// soon as the start call returns), times first start to last activity run, then waits until
// every workflow has closed so that the next phase does not overlap with it.
func runFloor(ctx context.Context, c client.Client, queue string, n, conc int, eager bool, wopts sdkworker.Options, profileDir string) (*floorResult, error) {
	counter := &floorCounter{}
	w := sdkworker.New(c, queue, wopts)
	w.RegisterWorkflowWithOptions(floorWorkflow, workflow.RegisterOptions{Name: floorWorkflowName})
	w.RegisterActivityWithOptions(counter.noop, activity.RegisterOptions{Name: floorActivityName})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start floor worker: %w", err)
	}
	defer w.Stop()

	prefix := fmt.Sprintf("bench-floor/%d/", time.Now().UnixNano())
	runs := make([]client.WorkflowRun, n)
	var next atomic.Int64
	var profile bytes.Buffer
	profiling := profileDir != "" && pprof.StartCPUProfile(&profile) == nil
	cpu0 := processCPU()
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for range conc {
		g.Go(func() error {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return nil
				}
				run, err := c.ExecuteWorkflow(gctx, client.StartWorkflowOptions{
					ID: prefix + fmt.Sprint(i), TaskQueue: queue, EnableEagerStart: eager,
				}, floorWorkflowName, time.Now().UnixNano())
				if err != nil {
					return fmt.Errorf("start floor workflow: %w", err)
				}
				runs[i] = run
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Minute)
	for counter.n.Load() < int64(n) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("floor: %d of %d activities ran before the deadline", counter.n.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	counter.mu.Lock()
	elapsed := counter.last.Sub(start)
	counter.mu.Unlock()
	cpu := processCPU() - cpu0
	if profiling {
		pprof.StopCPUProfile()
		if err := os.WriteFile(filepath.Join(profileDir, "floor.pprof"), profile.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}

	// Drain: every floor workflow closed before the Herald phase starts.
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for _, run := range runs {
		g.Go(func() error { return run.Get(gctx, nil) })
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("floor workflow: %w", err)
	}

	// Latency: one workflow at a time.
	counter.mu.Lock()
	counter.latencies = nil
	counter.mu.Unlock()
	for i := range floorLatencyRuns {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: prefix + "latency/" + fmt.Sprint(i), TaskQueue: queue, EnableEagerStart: eager,
		}, floorWorkflowName, time.Now().UnixNano())
		if err != nil {
			return nil, fmt.Errorf("start floor workflow: %w", err)
		}
		if err := run.Get(ctx, nil); err != nil {
			return nil, fmt.Errorf("floor workflow: %w", err)
		}
	}
	counter.mu.Lock()
	latency := pct(counter.latencies, 50)
	counter.mu.Unlock()
	return &floorResult{Latency: latency, Workflows: n, Elapsed: elapsed, PerSecond: float64(n) / elapsed.Seconds(), CPU: cpu}, nil
}
