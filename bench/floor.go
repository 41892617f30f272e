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

func floorWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	return workflow.ExecuteActivity(ctx, floorActivityName).Get(ctx, nil)
}

// floorCounter is the no-op activity: it only notes when it ran (the floor's "delivery").
type floorCounter struct {
	n    atomic.Int64
	mu   sync.Mutex
	last time.Time
}

func (f *floorCounter) noop(ctx context.Context) error {
	f.n.Add(1)
	f.mu.Lock()
	f.last = time.Now()
	f.mu.Unlock()
	_ = activity.GetInfo(ctx)
	return nil
}

type floorResult struct {
	Workflows int
	Elapsed   time.Duration
	PerSecond float64
	CPU       time.Duration // this process's CPU time while the floor ran (server, worker, starters)
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
				}, floorWorkflowName)
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
	return &floorResult{Workflows: n, Elapsed: elapsed, PerSecond: float64(n) / elapsed.Seconds(), CPU: cpu}, nil
}
