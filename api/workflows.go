package api

import (
	"context"
	"errors"
	"net/url"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/app"
	"github.com/herald-webhooks/herald/internal/wire"
	"github.com/herald-webhooks/herald/starter"
	"github.com/herald-webhooks/herald/workflows"
)

// temporalWorkflows is app.Workflows over the Temporal client: the services start, cancel
// and read workflows through it, without importing the SDK. Errors of the Temporal service
// become Herald's (starter.TemporalError: unavailable when it is down).
type temporalWorkflows struct {
	client    client.Client
	taskQueue string
}

func (s *Server) taskQueue() string {
	if s.Publisher != nil && s.Publisher.TaskQueue != "" {
		return s.Publisher.TaskQueue
	}
	return wire.TaskQueue
}

func (t temporalWorkflows) StartRedelivery(ctx context.Context, d *herald.Delivery, w *herald.Webhook) (app.Run, error) {
	id := wire.RedeliveryWorkflowID(d.ID, herald.NewID("rdl_"))
	run, err := t.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: t.taskQueue,
		StaticSummary:         "redeliver " + d.EventType + " → " + hostOf(w.URL),
		TypedSearchAttributes: workflows.DeliveryAttributes(d.EventType, w.ID, w.Owner()),
	}, workflows.DeliveryWorkflow, wire.DeliveryInput{
		DeliveryID: d.ID, EventID: d.EventID, WebhookID: w.ID, TimeoutSeconds: w.TimeoutSeconds,
		Retry: wire.RetryPolicy(w.Retry), Trigger: string(herald.TriggerManual), EventType: d.EventType, Host: hostOf(w.URL),
	})
	if err != nil {
		return app.Run{}, starter.TemporalError(err)
	}
	return app.Run{WorkflowID: id, RunID: run.GetRunID()}, nil
}

func (t temporalWorkflows) CancelDelivery(ctx context.Context, d *herald.Delivery) error {
	err := t.client.CancelWorkflow(ctx, wire.DeliveryWorkflowID(d.EventID, d.WebhookID), "")
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		return starter.TemporalError(err)
	}
	return nil
}

func (t temporalWorkflows) StartReplay(ctx context.Context, r *herald.Replay, w *herald.Webhook) (string, error) {
	id := wire.ReplayWorkflowID(r.ID)
	if _, err := t.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: t.taskQueue, StaticSummary: "replay of " + w.ID + " (" + hostOf(w.URL) + ")",
		TypedSearchAttributes: workflows.WebhookAttributes(w.ID, w.Owner()),
	}, workflows.ReplayWorkflow, wire.ReplayInput{ReplayID: r.ID}); err != nil {
		return "", starter.TemporalError(err)
	}
	return id, nil
}

// Replay reads a replay's state from its workflow: its status, and its progress from the
// result once completed (in the history: no worker needed) or from a query while running.
func (t temporalWorkflows) Replay(ctx context.Context, replayID string) (app.ReplayRun, error) {
	id := wire.ReplayWorkflowID(replayID)
	var p wire.ReplayProgress
	run := func(state string) app.ReplayRun {
		return app.ReplayRun{WorkflowID: id, State: state, Progress: app.ReplayProgress(p)}
	}
	desc, err := t.client.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		// Its workflow is past the namespace's retention.
		return run("unknown"), nil
	case err != nil:
		return app.ReplayRun{}, starter.TemporalError(err)
	}
	state, ok := replayStates[desc.GetWorkflowExecutionInfo().GetStatus()]
	if !ok {
		state = "running"
	}
	switch state {
	case "completed":
		if err := t.client.GetWorkflow(ctx, id, "").Get(ctx, &p); err != nil {
			return app.ReplayRun{}, starter.TemporalError(err)
		}
	case "running":
		v, err := t.client.QueryWorkflow(ctx, id, "", wire.QueryProgress)
		if err != nil {
			return app.ReplayRun{}, starter.TemporalError(err)
		}
		if err := v.Get(&p); err != nil {
			return app.ReplayRun{}, err
		}
		if p.Done { // it finished between the describe and the query
			state = "completed"
		}
	default:
		// A query replays the closed history on a worker; without one, the counts stay 0
		// rather than the request waiting.
		qctx, cancel := context.WithTimeout(ctx, closedQueryTimeout)
		if v, err := t.client.QueryWorkflow(qctx, id, "", wire.QueryProgress); err == nil {
			_ = v.Get(&p)
		}
		cancel()
	}
	return run(state), nil
}

func (t temporalWorkflows) StartCancelDeliveries(ctx context.Context, webhookID string, status herald.DeliveryStatus, at time.Time) (string, error) {
	return wire.StartCancelDeliveries(ctx, t.client, t.taskQueue, webhookID, string(status), at)
}

// closedQueryTimeout bounds the progress query of a replay that ended without completing.
const closedQueryTimeout = 3 * time.Second

// replayStates names a replay by its workflow's status (running for any other).
var replayStates = map[enumspb.WorkflowExecutionStatus]string{
	enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:  "completed",
	enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:     "failed",
	enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED: "terminated",
	enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:   "cancelled",
	enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:  "timed_out",
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
