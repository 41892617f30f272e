package app

import (
	"context"
	"time"

	"github.com/herald-webhooks/herald"
)

// Workflows is what the control levers start, stop and read in Temporal. The API implements
// it over the Temporal client, so that no service imports the SDK.
type Workflows interface {
	// StartRedelivery starts one manual attempt of d to w as its own workflow.
	StartRedelivery(ctx context.Context, d *herald.Delivery, w *herald.Webhook) (Run, error)
	// CancelDelivery cancels d's delivery workflow; nil when there is none (any more).
	CancelDelivery(ctx context.Context, d *herald.Delivery) error
	ReplayStarter
	// Replay is the state of replay's workflow: running, completed, failed, terminated,
	// cancelled, timed_out, or unknown once the workflow is past retention; with its progress.
	Replay(ctx context.Context, replayID string) (ReplayRun, error)
	// StartCancelDeliveries starts the workflow that cancels the delivery workflows of the
	// webhook's deliveries a change at at set to status (cancelled or held).
	StartCancelDeliveries(ctx context.Context, webhookID string, status herald.DeliveryStatus, at time.Time) (workflowID string, err error)
}

// ReplayStarter starts replay workflows.
type ReplayStarter interface {
	// StartReplay starts the workflow of the recorded replay r of w's deliveries and names it.
	StartReplay(ctx context.Context, r *herald.Replay, w *herald.Webhook) (workflowID string, err error)
}

// Run names one started workflow run.
type Run struct {
	WorkflowID string
	RunID      string
}

// ReplayRun is a replay's workflow as Workflows.Replay reads it.
type ReplayRun struct {
	WorkflowID string
	State      string
	Progress   ReplayProgress
}

// ReplayProgress is how far a replay has come.
type ReplayProgress struct {
	Found     int  `json:"found"`     // deliveries matched so far
	Started   int  `json:"started"`   // redeliveries started
	Succeeded int  `json:"succeeded"` // redeliveries that reached the endpoint with a 2xx
	Failed    int  `json:"failed"`    // redeliveries that did not
	Done      bool `json:"done"`      // every matching delivery was redelivered
}

// ControlStore is what the control levers read and change.
type ControlStore interface {
	WebhookGetter
	Delivery(ctx context.Context, id string) (*herald.Delivery, error)
	FinishDelivery(ctx context.Context, deliveryID string, status herald.DeliveryStatus) error
	Replay(ctx context.Context, id string) (*herald.Replay, error)
	ReplayStore
}

// ReplayStore records replays.
type ReplayStore interface {
	CreateReplay(ctx context.Context, r *herald.Replay) error
}

// WebhookGetter reads a webhook that is not deleted.
type WebhookGetter interface {
	Webhook(ctx context.Context, id string) (*herald.Webhook, error)
}

// Control serves the operator's levers on deliveries: redeliver one, cancel one, replay many,
// and a replay's progress. Each changes a webhook's deliveries, so each needs write access to
// the webhook's owner (reading a replay needs read access).
type Control struct {
	Store     ControlStore
	Workflows Workflows
	Auth      Authorizer
}

// Redelivery is the answer of a redelivery: the workflow of its manual attempt.
type Redelivery struct {
	DeliveryID string         `json:"delivery_id"`
	RunID      string         `json:"run_id"`
	Trigger    herald.Trigger `json:"trigger"`
	WorkflowID string         `json:"workflow_id"`
}

// Redeliver starts one manual attempt of a delivery in any final state, as its own workflow.
func (s *Control) Redeliver(ctx context.Context, deliveryID string) (Redelivery, error) {
	d, err := s.Store.Delivery(ctx, deliveryID)
	if err != nil {
		return Redelivery{}, err
	}
	w, err := webhookFor(ctx, s.Store, s.Auth, d.WebhookID, Write)
	if err != nil {
		return Redelivery{}, err
	}
	if d.Status == herald.DeliveryPending {
		return Redelivery{}, herald.Errorf(herald.EConflict, "the delivery is still pending: its automatic attempts are running")
	}
	run, err := s.Workflows.StartRedelivery(ctx, d, w)
	if err != nil {
		return Redelivery{}, err
	}
	return Redelivery{DeliveryID: d.ID, WorkflowID: run.WorkflowID, RunID: run.RunID, Trigger: herald.TriggerManual}, nil
}

// Cancel stops a pending delivery: its workflow is cancelled and it is marked cancelled (the
// workflow records cancelled too, so a cancel from the Temporal UI ends the same way). It
// answers the delivery as it is now.
func (s *Control) Cancel(ctx context.Context, deliveryID string) (*herald.Delivery, error) {
	d, err := s.Store.Delivery(ctx, deliveryID)
	if err != nil {
		return nil, err
	}
	if _, err := webhookFor(ctx, s.Store, s.Auth, d.WebhookID, Write); err != nil {
		return nil, err
	}
	if d.Status != herald.DeliveryPending {
		return nil, herald.Errorf(herald.EConflict, "the delivery is %s, not pending", d.Status)
	}
	if err := s.Workflows.CancelDelivery(ctx, d); err != nil {
		return nil, err
	}
	if err := s.Store.FinishDelivery(ctx, d.ID, herald.DeliveryCancelled); err != nil {
		return nil, err
	}
	return s.Store.Delivery(ctx, d.ID)
}

// ReplayRequest selects the deliveries a replay sends again: created in [Since, Until) with
// one of Statuses (failed when empty).
type ReplayRequest struct {
	Since    *time.Time
	Until    *time.Time
	Statuses []herald.DeliveryStatus
}

// replayable are the final statuses a replay may select.
var replayable = map[herald.DeliveryStatus]bool{herald.DeliveryFailed: true, herald.DeliveryHeld: true,
	herald.DeliveryCancelled: true, herald.DeliverySucceeded: true}

// Validate reports the field errors of the request, with Statuses defaulted.
func (r *ReplayRequest) Validate() error {
	var d []herald.ErrorDetail
	if len(r.Statuses) == 0 {
		r.Statuses = []herald.DeliveryStatus{herald.DeliveryFailed}
	}
	for _, st := range r.Statuses {
		if !replayable[st] {
			d = append(d, herald.ErrorDetail{Field: "status", Message: "each must be failed, held, cancelled or succeeded"})
			break
		}
	}
	if r.Since != nil && r.Until != nil && !r.Since.Before(*r.Until) {
		d = append(d, herald.ErrorDetail{Field: "until", Message: "must be after since"})
	}
	if len(d) > 0 {
		return &herald.Error{Code: herald.EInvalid, Message: "the replay request is not valid", Details: d}
	}
	return nil
}

// ReplayView is a replay as GET /replays/{id} shows it.
type ReplayView struct {
	CreatedAt  time.Time               `json:"created_at"`
	ID         string                  `json:"id"`
	Progress   ReplayProgress          `json:"progress"`
	Since      *time.Time              `json:"since"`
	State      string                  `json:"state"`
	Status     []herald.DeliveryStatus `json:"status"`
	Until      *time.Time              `json:"until"`
	WebhookID  string                  `json:"webhook_id"`
	WorkflowID string                  `json:"workflow_id"`
}

func replayView(r *herald.Replay, run ReplayRun) *ReplayView {
	return &ReplayView{ID: r.ID, WebhookID: r.WebhookID, Since: r.Since, Until: r.Until, Status: r.Statuses,
		CreatedAt: r.CreatedAt, WorkflowID: run.WorkflowID, State: run.State, Progress: run.Progress}
}

// Replay starts a replay of a webhook's deliveries in a time range and status.
func (s *Control) Replay(ctx context.Context, webhookID string, in Input[ReplayRequest]) (*ReplayView, error) {
	w, err := webhookFor(ctx, s.Store, s.Auth, webhookID, Write)
	if err != nil {
		return nil, err
	}
	req, err := in()
	if err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return startReplay(ctx, s.Store, s.Workflows, w, req)
}

// ReplayStatus shows a replay's progress, for a caller who may read its webhook. Its state is
// its workflow's: running, completed, or, for a workflow that ended otherwise (an operator
// terminated it, a bug failed it), failed, terminated, cancelled or timed_out, with the
// progress it had made.
func (s *Control) ReplayStatus(ctx context.Context, replayID string) (*ReplayView, error) {
	r, err := s.Store.Replay(ctx, replayID)
	if err != nil {
		return nil, err
	}
	if _, err := webhookFor(ctx, s.Store, s.Auth, r.WebhookID, Read); err != nil {
		return nil, err
	}
	run, err := s.Workflows.Replay(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return replayView(r, run), nil
}

// startReplay records a replay of w's deliveries the request selects and starts its
// workflow; it answers the replay as ReplayStatus shows it.
func startReplay(ctx context.Context, store ReplayStore, wf ReplayStarter, w *herald.Webhook, req ReplayRequest) (*ReplayView, error) {
	r := &herald.Replay{ID: herald.NewID("rpl_"), WebhookID: w.ID, Since: req.Since, Until: req.Until,
		Statuses: req.Statuses}
	if err := store.CreateReplay(ctx, r); err != nil {
		return nil, err
	}
	id, err := wf.StartReplay(ctx, r, w)
	if err != nil {
		return nil, err
	}
	return replayView(r, ReplayRun{WorkflowID: id, State: "running"}), nil
}

// webhookFor loads a webhook and checks the caller may do acc to it (ENotFound for another
// tenant's).
func webhookFor(ctx context.Context, store WebhookGetter, auth Authorizer, id string, acc Access) (*herald.Webhook, error) {
	w, err := store.Webhook(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := auth.Owner(ctx, ownerOf(w), acc); err != nil {
		return nil, err
	}
	return w, nil
}

// ownerOf is the owner of w's resources.
func ownerOf(w *herald.Webhook) herald.Owner {
	return herald.Owner{UserID: w.UserID, OrganizationID: w.OrganizationID}
}
