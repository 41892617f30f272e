package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/wire"
	"github.com/herald-webhooks/herald/workflows"
)

// fanOut is a scripted event: its destinations, which the stand-in resolve activity pages
// through by webhook ID as the real one does, and the delivery workflows the event workflow
// started (mocked children that record their ID and input).
type fanOut struct {
	env          *testsuite.TestWorkflowEnvironment
	destinations []wire.Destination

	mu       sync.Mutex
	resolves []wire.ResolveInput
	children map[string]wire.DeliveryInput // by workflow ID
}

func newFanOut(t *testing.T, n int, held ...int) *fanOut {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	f := &fanOut{env: suite.NewTestWorkflowEnvironment(), children: map[string]wire.DeliveryInput{}}
	for i := 1; i <= n; i++ {
		f.destinations = append(f.destinations, wire.Destination{DeliveryID: fmt.Sprintf("dlv_%d", i),
			WebhookID: fmt.Sprintf("wh_%02d", i), Host: "example.com", Owner: "user:u_1", Status: string(herald.DeliveryPending),
			Retry: policy, TimeoutSeconds: 10})
	}
	for _, i := range held {
		f.destinations[i-1].Status = string(herald.DeliveryHeld)
	}
	f.env.RegisterWorkflow(workflows.EventWorkflow)
	f.env.RegisterWorkflow(workflows.DeliveryWorkflow)
	var a *activities.Activities
	f.env.RegisterActivity(a)
	f.env.OnActivity(a.Resolve, mock.Anything, mock.Anything).Return(f.resolve)
	f.env.OnWorkflow(workflows.DeliveryWorkflow, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in wire.DeliveryInput) (*wire.DeliveryResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.children[workflow.GetInfo(ctx).WorkflowExecution.ID] = in
			return &wire.DeliveryResult{Status: string(herald.DeliverySucceeded), Attempts: 1}, nil
		})
	return f
}

func (f *fanOut) resolve(_ context.Context, in wire.ResolveInput) (*wire.ResolveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resolves = append(f.resolves, in)
	res := &wire.ResolveResult{EventType: "summary.completed"}
	for _, d := range f.destinations {
		if d.WebhookID > in.After && (in.Limit == 0 || len(res.Destinations) < in.Limit) {
			res.Destinations = append(res.Destinations, d)
		}
	}
	if in.Limit > 0 && len(res.Destinations) == in.Limit {
		res.Next = res.Destinations[len(res.Destinations)-1].WebhookID
	}
	return res, nil
}

// run runs one event workflow run: its result, or the input of the run it continued as.
func (f *fanOut) run(t *testing.T, in wire.EventInput) (*wire.EventResult, *wire.EventInput) {
	t.Helper()
	f.env.ExecuteWorkflow(workflows.EventWorkflow, in)
	if !f.env.IsWorkflowCompleted() {
		t.Fatal("the event workflow did not end")
	}
	var can *workflow.ContinueAsNewError
	if err := f.env.GetWorkflowError(); errors.As(err, &can) {
		var next wire.EventInput
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
			t.Fatal(err)
		}
		return nil, &next
	} else if err != nil {
		t.Fatal(err)
	}
	var res wire.EventResult
	if err := f.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return &res, nil
}

func (f *fanOut) childIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id := range f.children {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func TestEventWorkflow(t *testing.T) {
	t.Run("destinations are started a wave at a time and the run continues as new every two waves", func(t *testing.T) {
		first := newFanOut(t, 5, 3) // the third webhook is disabled: its delivery is held, not started
		res, next := first.run(t, wire.EventInput{EventID: "evt_1", WaveSize: 2})
		if res != nil || next == nil {
			t.Fatalf("the first run ended with %+v, want it to continue as new", res)
		}
		if want := (wire.EventInput{EventID: "evt_1", WaveSize: 2, After: "wh_04", Started: 3}); *next != want {
			t.Fatalf("continued as %+v, want %+v", *next, want)
		}
		if want := []wire.ResolveInput{{EventID: "evt_1", Limit: 2}, {EventID: "evt_1", After: "wh_02", Limit: 2}}; !equalResolves(first.resolves, want) {
			t.Fatalf("resolved %+v, want %+v", first.resolves, want)
		}
		if got, want := first.childIDs(), []string{"delivery/evt_1/wh_01", "delivery/evt_1/wh_02", "delivery/evt_1/wh_04"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("started %v, want %v", got, want)
		}
		in := first.children["delivery/evt_1/wh_01"]
		if in.DeliveryID != "dlv_1" || in.Retry != policy || in.TimeoutSeconds != 10 || in.EventType != "summary.completed" || in.Trigger != "" {
			t.Fatalf("the delivery workflow's input %+v, want the destination's delivery, policy and timeout", in)
		}

		second := newFanOut(t, 5, 3)
		res, next = second.run(t, *next)
		if next != nil || res == nil || res.Started != 4 || len(res.DeliveryIDs) != 0 {
			t.Fatalf("the continued run ended with %+v (continued as %+v), want 4 started in all", res, next)
		}
		if got := second.childIDs(); fmt.Sprint(got) != "[delivery/evt_1/wh_05]" {
			t.Fatalf("the continued run started %v, want only the fifth webhook's delivery", got)
		}
	})

	t.Run("an event workflow started before paged fan-out resolves everything at once", func(t *testing.T) {
		f := newFanOut(t, 3, 2)
		res, next := f.run(t, wire.EventInput{EventID: "evt_1"})
		if next != nil || res == nil || res.Started != 2 || fmt.Sprint(res.DeliveryIDs) != "[dlv_1 dlv_3]" {
			t.Fatalf("result %+v (continued as %+v), want 2 started, dlv_1 and dlv_3 listed", res, next)
		}
		if len(f.resolves) != 1 || f.resolves[0].Limit != 0 {
			t.Fatalf("resolved %+v, want one resolve of every destination", f.resolves)
		}
	})
}

func equalResolves(a, b []wire.ResolveInput) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// replayRun is a scripted replay: the deliveries its pages list and, per delivery, whether
// its redelivery succeeds; each redelivery (a mocked child) takes a minute.
type replayRun struct {
	env   *testsuite.TestWorkflowEnvironment
	items []wire.ReplayItem
	fails map[string]bool // delivery IDs whose redelivery fails

	mu      sync.Mutex
	pages   []wire.ReplayPageInput
	started map[string]time.Time // redelivery workflow ID → start
	inputs  map[string]wire.DeliveryInput
}

func newReplayRun(t *testing.T, n int, failing ...int) *replayRun {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	r := &replayRun{env: suite.NewTestWorkflowEnvironment(), fails: map[string]bool{},
		started: map[string]time.Time{}, inputs: map[string]wire.DeliveryInput{}}
	for i := 1; i <= n; i++ {
		r.items = append(r.items, wire.ReplayItem{DeliveryID: fmt.Sprintf("dlv_%04d", i), EventID: fmt.Sprintf("evt_%d", i),
			WebhookID: "wh_1", EventType: "summary.completed", Host: "example.com", Owner: "user:u_1", Retry: policy, TimeoutSeconds: 10})
	}
	for _, i := range failing {
		r.fails[r.items[i-1].DeliveryID] = true
	}
	r.env.RegisterWorkflow(workflows.ReplayWorkflow)
	r.env.RegisterWorkflow(workflows.DeliveryWorkflow)
	var a *activities.Activities
	r.env.RegisterActivity(a)
	r.env.OnActivity(a.ReplayPage, mock.Anything, mock.Anything).Return(func(_ context.Context, in wire.ReplayPageInput) ([]wire.ReplayItem, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.pages = append(r.pages, in)
		var page []wire.ReplayItem
		for _, it := range r.items {
			if it.DeliveryID > in.After && len(page) < in.Limit {
				page = append(page, it)
			}
		}
		return page, nil
	})
	r.env.OnWorkflow(workflows.DeliveryWorkflow, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in wire.DeliveryInput) (*wire.DeliveryResult, error) {
			r.mu.Lock()
			r.started[workflow.GetInfo(ctx).WorkflowExecution.ID] = workflow.Now(ctx)
			r.inputs[workflow.GetInfo(ctx).WorkflowExecution.ID] = in
			r.mu.Unlock()
			if err := workflow.Sleep(ctx, time.Minute); err != nil {
				return nil, err
			}
			if r.fails[in.DeliveryID] {
				return nil, errors.New("delivery failed")
			}
			return &wire.DeliveryResult{Status: string(herald.DeliverySucceeded), Attempts: 1, StatusCode: 200}, nil
		})
	return r
}

func TestReplayWorkflow(t *testing.T) {
	t.Run("every matching delivery is redelivered once, at most the concurrency at a time", func(t *testing.T) {
		r := newReplayRun(t, 5, 2)
		var during wire.ReplayProgress
		r.env.RegisterDelayedCallback(func() {
			if v, err := r.env.QueryWorkflow(wire.QueryProgress); err == nil {
				_ = v.Get(&during)
			}
		}, 90*time.Second)
		start := r.env.Now()
		r.env.ExecuteWorkflow(workflows.ReplayWorkflow, wire.ReplayInput{ReplayID: "rpl_1", Concurrency: 2})
		var p wire.ReplayProgress
		if err := r.env.GetWorkflowError(); err != nil || r.env.GetWorkflowResult(&p) != nil {
			t.Fatalf("the replay ended with %v", err)
		}
		if want := (wire.ReplayProgress{Found: 5, Started: 5, Succeeded: 4, Failed: 1, Done: true}); p != want {
			t.Fatalf("progress %+v, want %+v", p, want)
		}
		if want := (wire.ReplayProgress{Found: 5, Started: 4, Succeeded: 1, Failed: 1}); during != want {
			t.Fatalf("progress after 90 s %+v, want %+v (two rounds of two started, the first one done: dlv_0002 failed)", during, want)
		}
		// Two at a time, a minute each: the starts are 0, 0, 1, 1 and 2 minutes in.
		var offsets []time.Duration
		for _, at := range r.started {
			offsets = append(offsets, at.Sub(start).Round(time.Second))
		}
		sort.Slice(offsets, func(i, j int) bool { return offsets[i] < offsets[j] })
		if fmt.Sprint(offsets) != "[0s 0s 1m0s 1m0s 2m0s]" {
			t.Fatalf("redeliveries started at %v, want two at a time", offsets)
		}
		in, ok := r.inputs["redeliver/dlv_0001/rpl_1"]
		if !ok || in.Trigger != string(herald.TriggerManual) || in.Retry != policy || in.EventID != "evt_1" {
			t.Fatalf("redelivery of dlv_0001: %+v (found %v), want a manual delivery workflow with the webhook's policy", in, ok)
		}
	})

	t.Run("a replay pages through its deliveries after the last one handled", func(t *testing.T) {
		r := newReplayRun(t, 150)
		r.env.ExecuteWorkflow(workflows.ReplayWorkflow, wire.ReplayInput{ReplayID: "rpl_1"})
		var p wire.ReplayProgress
		if err := r.env.GetWorkflowError(); err != nil || r.env.GetWorkflowResult(&p) != nil {
			t.Fatalf("the replay ended with %v", err)
		}
		if p.Found != 150 || p.Started != 150 || p.Succeeded != 150 || !p.Done || len(r.started) != 150 {
			t.Fatalf("progress %+v, %d redeliveries, want all 150 once", p, len(r.started))
		}
		want := []wire.ReplayPageInput{{ReplayID: "rpl_1", Limit: 100}, {ReplayID: "rpl_1", After: "dlv_0100", Limit: 100},
			{ReplayID: "rpl_1", After: "dlv_0150", Limit: 100}}
		if fmt.Sprint(r.pages) != fmt.Sprint(want) {
			t.Fatalf("pages %+v, want %+v", r.pages, want)
		}
	})
}
