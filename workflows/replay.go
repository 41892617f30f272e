package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/wire"
)

// DefaultReplayConcurrency bounds a replay's redeliveries in flight.
const DefaultReplayConcurrency = 10

const (
	replayPageSize = 100
	replayPerRun   = 1000 // redeliveries per run before continuing as new, to bound the history
)

// ReplayWorkflow redelivers, once each and with bounded concurrency, the deliveries a replay
// request matches. Each redelivery is a child delivery workflow with trigger manual and the ID
// "redeliver/<delivery>/<replay>", so a replay never sends one delivery twice.
func ReplayWorkflow(ctx workflow.Context, in wire.ReplayInput) (*wire.ReplayProgress, error) {
	var a *activities.Activities
	progress := in.Progress
	if err := workflow.SetQueryHandler(ctx, wire.QueryProgress, func() (wire.ReplayProgress, error) { return progress, nil }); err != nil {
		return nil, err
	}
	conc := in.Concurrency
	if conc <= 0 {
		conc = DefaultReplayConcurrency
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             "list deliveries to replay",
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrNotFound}},
	})
	handled := 0
	for {
		var items []wire.ReplayItem
		if err := workflow.ExecuteActivity(actx, a.ReplayPage, wire.ReplayPageInput{
			ReplayID: in.ReplayID, After: in.After, Limit: replayPageSize,
		}).Get(ctx, &items); err != nil {
			return nil, err
		}
		if len(items) == 0 {
			break
		}
		progress.Found += len(items)
		if err := redeliverAll(ctx, in.ReplayID, items, conc, &progress); err != nil {
			return nil, err
		}
		in.After = items[len(items)-1].DeliveryID
		handled += len(items)
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("%d redelivered: %d succeeded, %d failed",
			progress.Started, progress.Succeeded, progress.Failed))
		if handled >= replayPerRun {
			in.Progress = progress
			return nil, workflow.NewContinueAsNewError(ctx, ReplayWorkflow, in)
		}
	}
	progress.Done = true
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("done: %d redelivered, %d succeeded, %d failed",
		progress.Started, progress.Succeeded, progress.Failed))
	return &progress, nil
}

// redeliverAll runs one redelivery child per item, at most conc at once, and waits for all.
func redeliverAll(ctx workflow.Context, replayID string, items []wire.ReplayItem, conc int, p *wire.ReplayProgress) error {
	sel := workflow.NewSelector(ctx)
	running := 0
	var firstErr error
	collect := func(f workflow.Future) {
		running--
		var res wire.DeliveryResult
		err := f.Get(ctx, &res)
		var started *temporal.ChildWorkflowExecutionAlreadyStartedError
		switch {
		case errors.As(err, &started):
			// An earlier run of this replay started it already.
		case err != nil && temporal.IsCanceledError(err):
			if firstErr == nil {
				firstErr = err
			}
		case err == nil && res.Status == string(herald.DeliverySucceeded):
			p.Succeeded++
		default:
			p.Failed++
		}
	}
	for _, it := range items {
		for running >= conc {
			sel.Select(ctx)
		}
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            wire.RedeliveryWorkflowID(it.DeliveryID, replayID),
			TaskQueue:             workflow.GetInfo(ctx).TaskQueueName,
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			StaticSummary:         "redeliver " + it.EventType + " → " + it.Host,
			TypedSearchAttributes: DeliveryAttributes(it.EventType, it.WebhookID, it.Owner),
		})
		f := workflow.ExecuteChildWorkflow(cctx, DeliveryWorkflow, wire.DeliveryInput{
			DeliveryID: it.DeliveryID, EventID: it.EventID, WebhookID: it.WebhookID,
			TimeoutSeconds: it.TimeoutSeconds, Retry: it.Retry, Trigger: string(herald.TriggerManual),
			EventType: it.EventType, Host: it.Host,
		})
		p.Started++
		running++
		sel.AddFuture(f, collect)
	}
	for running > 0 {
		sel.Select(ctx)
	}
	return firstErr
}

// DeliveryAttributes are the search attributes a delivery workflow starts with. The delivery
// status is not among them: it lives on the delivery's status record (StatusRecordWorkflow).
func DeliveryAttributes(eventType, webhookID, owner string) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		wire.AttrEventType.ValueSet(eventType),
		wire.AttrWebhookID.ValueSet(webhookID),
		wire.AttrOwnerID.ValueSet(owner),
		BuildIDsAttribute(),
	)
}

// WebhookAttributes are the search attributes of a workflow about one webhook (a replay).
func WebhookAttributes(webhookID, owner string) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(wire.AttrWebhookID.ValueSet(webhookID), wire.AttrOwnerID.ValueSet(owner), BuildIDsAttribute())
}
