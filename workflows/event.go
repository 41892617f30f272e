package workflows

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/wire"
)

// Fan-out bounds. Temporal refuses more than 2,000 pending children per workflow run and warns
// about payloads over 512 KB, so an event workflow resolves its destinations a page at a time,
// starts each page's children as one wave and waits until they have started, and continues as
// new, carrying only its cursor, before its pending children or its history grow large.
const (
	// wavesPerRun keeps a run's children (pending until they close) well under 2,000.
	wavesPerRun = 2
	// historyPerRun continues as new early should a run's history grow past this many events.
	historyPerRun = 10_000
)

// EventWorkflow fans an event out: one delivery workflow per matching webhook, in waves of at
// most in.WaveSize children, continuing as new every few waves, so that fan-out is bounded by
// nothing but time.
func EventWorkflow(ctx workflow.Context, in wire.EventInput) (*wire.EventResult, error) {
	// Resolving is a local activity: one marker in the history instead of three events and an
	// activity task round trip. It is idempotent, so a re-run after a worker crash is harmless.
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:             "resolve destinations",
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrNotFound},
		},
	})
	if in.WaveSize <= 0 { // started before paged fan-out (see wire.EventInput.WaveSize)
		return fanOutAtOnce(ctx, lctx, in)
	}
	var a *activities.Activities
	wave := in.WaveSize
	out := &wire.EventResult{Started: in.Started}
	for waves := 1; ; waves++ {
		var res wire.ResolveResult
		if err := workflow.ExecuteLocalActivity(lctx, a.Resolve, wire.ResolveInput{
			EventID: in.EventID, After: in.After, Limit: wave,
		}).Get(ctx, &res); err != nil {
			return nil, err
		}
		n, err := startDeliveries(ctx, in.EventID, &res)
		if err != nil {
			return nil, err
		}
		out.Started += n
		if res.Next == "" {
			return out, nil
		}
		in.After = res.Next
		if waves >= wavesPerRun || workflow.GetInfo(ctx).GetCurrentHistoryLength() >= historyPerRun {
			in.Started = out.Started
			return nil, workflow.NewContinueAsNewError(ctx, EventWorkflow, in)
		}
	}
}

// fanOutAtOnce is the event workflow before paged fan-out: every destination in one resolve
// and one wave. Kept, unchanged, for the runs that started with it.
func fanOutAtOnce(ctx, lctx workflow.Context, in wire.EventInput) (*wire.EventResult, error) {
	var a *activities.Activities
	var res wire.ResolveResult
	if err := workflow.ExecuteLocalActivity(lctx, a.Resolve, wire.ResolveInput{EventID: in.EventID}).Get(ctx, &res); err != nil {
		return nil, err
	}
	out := &wire.EventResult{}
	for _, d := range res.Destinations {
		if d.Status == string(herald.DeliveryPending) {
			out.DeliveryIDs = append(out.DeliveryIDs, d.DeliveryID)
		}
	}
	n, err := startDeliveries(ctx, in.EventID, &res)
	out.Started = n
	if err != nil {
		return nil, err
	}
	return out, nil
}

// startDeliveries starts one delivery workflow per pending destination of a resolved page and
// waits until each has started (not until it ends: the children are abandoned on close). It
// returns how many it started.
func startDeliveries(ctx workflow.Context, eventID string, res *wire.ResolveResult) (int, error) {
	var pending []workflow.ChildWorkflowFuture
	for _, d := range res.Destinations {
		if d.Status != string(herald.DeliveryPending) {
			continue
		}
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            wire.DeliveryWorkflowID(eventID, d.WebhookID),
			TaskQueue:             workflow.GetInfo(ctx).TaskQueueName,
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			StaticSummary:         res.EventType + " → " + d.Host,
			TypedSearchAttributes: DeliveryAttributes(res.EventType, d.WebhookID, d.Owner),
		})
		f := workflow.ExecuteChildWorkflow(cctx, DeliveryWorkflow, wire.DeliveryInput{
			DeliveryID: d.DeliveryID, EventID: eventID, WebhookID: d.WebhookID,
			TimeoutSeconds: d.TimeoutSeconds, Retry: d.Retry, EventType: res.EventType, Host: d.Host,
		})
		pending = append(pending, f)
	}
	for _, f := range pending {
		if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			var started *temporal.ChildWorkflowExecutionAlreadyStartedError
			if errors.As(err, &started) {
				continue // an earlier run of this event workflow already started it
			}
			return 0, err
		}
	}
	return len(pending), nil
}
