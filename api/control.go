package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/lib/pq"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/postgres"
	"github.com/herald-webhooks/herald/starter"
	"github.com/herald-webhooks/herald/workflows"
)

// controlRoutes are the operator's levers on deliveries: redeliver one, replay many.
func (s *Server) controlRoutes(g *gin.RouterGroup) {
	g.POST("/deliveries/:id/redeliver", s.redeliver)
	g.POST("/deliveries/:id/cancel", s.cancelDelivery)
	g.POST("/webhooks/:id/replay", s.byID(write, s.replay))
	g.GET("/replays/:id", s.getReplay)
}

// webhookFor loads a webhook and checks the caller may do a to it (404 for another tenant's).
func (s *Server) webhookFor(c *gin.Context, id string, a access) (*herald.Webhook, error) {
	w, err := s.Store.Webhook(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeOwner(c, ownerOf(w), a); err != nil {
		return nil, err
	}
	return w, nil
}

func (s *Server) taskQueue() string {
	if s.Publisher != nil && s.Publisher.TaskQueue != "" {
		return s.Publisher.TaskQueue
	}
	return workflows.TaskQueue
}

// redeliver starts one manual attempt of a delivery in any final state, as its own workflow.
func (s *Server) redeliver(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := s.Store.Delivery(ctx, c.Param("id"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	w, err := s.webhookFor(c, d.WebhookID, write)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if d.Status == herald.DeliveryPending {
		s.writeError(c, herald.Errorf(herald.EConflict, "the delivery is still pending: its automatic attempts are running"))
		return
	}
	id := workflows.RedeliveryWorkflowID(d.ID, herald.NewID("rdl_"))
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: s.taskQueue(),
		StaticSummary:         "redeliver " + d.EventType + " → " + hostOf(w.URL),
		TypedSearchAttributes: workflows.DeliveryAttributes(d.EventType, w.ID, w.Owner()),
	}, workflows.DeliveryWorkflow, workflows.DeliveryInput{
		DeliveryID: d.ID, EventID: d.EventID, WebhookID: w.ID, TimeoutSeconds: w.TimeoutSeconds,
		Retry: workflows.RetryPolicy(w.Retry), Trigger: herald.TriggerManual, EventType: d.EventType, Host: hostOf(w.URL),
	})
	if err != nil {
		s.writeError(c, starter.TemporalError(err))
		return
	}
	c.PureJSON(http.StatusAccepted, gin.H{"delivery_id": d.ID, "workflow_id": id, "run_id": run.GetRunID(),
		"trigger": herald.TriggerManual})
}

type replayRequest struct {
	Since  *time.Time `json:"since"`
	Until  *time.Time `json:"until"`
	Status statuses   `json:"status"`
}

// statuses is one status or a list of them.
type statuses []string

func (st *statuses) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*st = statuses{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(st))
}

// cancelDelivery stops a pending delivery: it is marked cancelled and its workflow cancelled
// (the workflow records cancelled too, so a cancel from the Temporal UI ends the same way).
func (s *Server) cancelDelivery(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := s.Store.Delivery(ctx, c.Param("id"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	if _, err := s.webhookFor(c, d.WebhookID, write); err != nil {
		s.writeError(c, err)
		return
	}
	if d.Status != herald.DeliveryPending {
		s.writeError(c, herald.Errorf(herald.EConflict, "the delivery is %s, not pending", d.Status))
		return
	}
	err = s.Temporal.CancelWorkflow(ctx, workflows.DeliveryWorkflowID(d.EventID, d.WebhookID), "")
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		s.writeError(c, starter.TemporalError(err))
		return
	}
	if err := s.Store.FinishDelivery(ctx, d.ID, herald.DeliveryCancelled); err != nil {
		s.writeError(c, err)
		return
	}
	if d, err = s.Store.Delivery(ctx, d.ID); err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, d)
}

// replay starts a replay workflow over a webhook's deliveries in a time range and status.
func (s *Server) replay(c *gin.Context, w *herald.Webhook) {
	var in replayRequest
	if err := decodeOptionalJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	var d []herald.ErrorDetail
	if len(in.Status) == 0 {
		in.Status = []string{herald.DeliveryFailed}
	}
	for _, st := range in.Status {
		if !replayable[st] {
			d = append(d, herald.ErrorDetail{Field: "status", Message: "each must be failed, held, cancelled or succeeded"})
			break
		}
	}
	if in.Since != nil && in.Until != nil && !in.Since.Before(*in.Until) {
		d = append(d, herald.ErrorDetail{Field: "until", Message: "must be after since"})
	}
	if len(d) > 0 {
		s.writeError(c, &herald.Error{Code: herald.EInvalid, Message: "the replay request is not valid", Details: d})
		return
	}
	view, err := s.startReplay(c, w, in.Since, in.Until, in.Status)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusAccepted, view)
}

// replayable are the final statuses a replay may select.
var replayable = map[string]bool{herald.DeliveryFailed: true, herald.DeliveryHeld: true,
	herald.DeliveryCancelled: true, herald.DeliverySucceeded: true}

// startReplay records a replay of w's deliveries created in [since, until) with one of the
// statuses and starts its workflow; it answers the replay as GET /replays/{id} shows it.
func (s *Server) startReplay(c *gin.Context, w *herald.Webhook, since, until *time.Time, status []string) (gin.H, error) {
	ctx := c.Request.Context()
	r := &postgres.Replay{ID: herald.NewID("rpl_"), WebhookID: w.ID, Since: since, Until: until, Statuses: pq.StringArray(status)}
	if err := s.Store.CreateReplay(ctx, r); err != nil {
		return nil, err
	}
	id := workflows.ReplayWorkflowID(r.ID)
	if _, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: s.taskQueue(), StaticSummary: "replay of " + w.ID + " (" + hostOf(w.URL) + ")",
		TypedSearchAttributes: workflows.WebhookAttributes(w.ID, w.Owner()),
	}, workflows.ReplayWorkflow, workflows.ReplayInput{ReplayID: r.ID}); err != nil {
		return nil, starter.TemporalError(err)
	}
	return replayView(r, id, "running", workflows.ReplayProgress{}), nil
}

// getReplay shows a replay's progress. Its state is its workflow's: running, completed, or,
// for a workflow that ended otherwise (an operator terminated it, a bug failed it), failed,
// terminated, cancelled or timed_out, with the progress it had made.
func (s *Server) getReplay(c *gin.Context) {
	ctx := c.Request.Context()
	r, err := s.Store.Replay(ctx, c.Param("id"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	if _, err := s.webhookFor(c, r.WebhookID, read); err != nil {
		s.writeError(c, err)
		return
	}
	id := workflows.ReplayWorkflowID(r.ID)
	var p workflows.ReplayProgress
	desc, err := s.Temporal.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		// Its workflow is past the namespace's retention.
		c.PureJSON(http.StatusOK, replayView(r, id, "unknown", p))
		return
	case err != nil:
		s.writeError(c, starter.TemporalError(err))
		return
	}
	state, ok := replayStates[desc.GetWorkflowExecutionInfo().GetStatus()]
	if !ok {
		state = "running"
	}
	switch state {
	case "completed":
		// The result is in the history: no worker needed to read it.
		if err := s.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &p); err != nil {
			s.writeError(c, starter.TemporalError(err))
			return
		}
	case "running":
		v, err := s.Temporal.QueryWorkflow(ctx, id, "", workflows.QueryProgress)
		if err != nil {
			s.writeError(c, starter.TemporalError(err))
			return
		}
		if err := v.Get(&p); err != nil {
			s.writeError(c, err)
			return
		}
		if p.Done { // it finished between the describe and the query
			state = "completed"
		}
	default:
		// A query replays the closed history on a worker; without one, the counts stay 0
		// rather than the request waiting.
		qctx, cancel := context.WithTimeout(ctx, closedQueryTimeout)
		if v, err := s.Temporal.QueryWorkflow(qctx, id, "", workflows.QueryProgress); err == nil {
			_ = v.Get(&p)
		}
		cancel()
	}
	c.PureJSON(http.StatusOK, replayView(r, id, state, p))
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

func replayView(r *postgres.Replay, workflowID, state string, p workflows.ReplayProgress) gin.H {
	return gin.H{"id": r.ID, "webhook_id": r.WebhookID, "since": r.Since, "until": r.Until, "status": []string(r.Statuses),
		"created_at": r.CreatedAt, "workflow_id": workflowID, "state": state, "progress": p}
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
