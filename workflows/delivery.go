package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/wire"
)

// DeliveryState is what the state query shows an operator.
type DeliveryState struct {
	Status         string     `json:"status"`
	Attempt        int        `json:"attempt"` // attempts made so far by this workflow
	LastStatusCode int        `json:"last_status_code,omitempty"`
	LastErrorKind  string     `json:"last_error_kind,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty"`
}

func (s *DeliveryState) failed(f wire.FailedAttempt) {
	s.Attempt = max(s.Attempt, f.Attempt)
	s.LastStatusCode, s.LastErrorKind, s.LastError, s.NextAttemptAt = f.StatusCode, f.ErrorKind, f.Error, f.NextAttemptAt
}

// DeliveryWorkflow delivers one event to one webhook and records the final status in
// PostgreSQL, in three steps a reader can follow: firstAttempt, remainingAttempts (only when the
// first failed and may be retried) and finish.
//
// The first attempt is a local activity: in the common case (the endpoint answers 2xx) the
// delivery costs one workflow task and no activity task round trip, and a successful automatic
// delivery just completes, with no visibility write of its own. When the first attempt fails,
// the remaining ones run as a regular activity under a Temporal retry policy built from the
// webhook's policy, shifted by the attempt already made, so the intervals are the policy's. A
// delivery that ends without success (failed, or cancelled), and a redelivery, then bring the
// delivery's status record up to date (StatusRecordWorkflow carries HeraldDeliveryStatus); a
// failed delivery fails its workflow with an ErrDeliveryFailed error, a cancelled one ends
// cancelled.
func DeliveryWorkflow(ctx workflow.Context, in wire.DeliveryInput) (*wire.DeliveryResult, error) {
	d, err := startDelivery(ctx, in)
	if err != nil {
		return nil, err
	}
	res, err := d.firstAttempt(ctx)
	if err != nil && retryable(err) {
		res, err = d.remainingAttempts(ctx, err)
	}
	return d.finish(ctx, res, err)
}

// delivery is what the steps of one delivery workflow share.
type delivery struct {
	in             wire.DeliveryInput
	manual         bool               // a redelivery: one attempt, whatever the delivery's state
	policy         herald.RetryPolicy // the webhook's, or one attempt for a redelivery
	attemptTimeout time.Duration
	summary        string         // what the Temporal UI shows of each activity
	state          *DeliveryState // the state query's answer, kept current by every step
	// legacyStatus marks a delivery workflow started before 0.3: those carried
	// HeraldDeliveryStatus=pending from their start and set the final status themselves, even on
	// success; they keep doing so, so that their histories replay (a query on a closed delivery
	// replays it). It is read from the start event, not with workflow.GetVersion: the branch it
	// chooses is on the success path every delivery takes, and a GetVersion there would record a
	// marker and upsert TemporalChangeVersion on every delivery (two history events and one
	// visibility write more; see BENCHMARKS.md, "Workflows split (issue 13)").
	legacyStatus bool
}

// startDelivery sets up a delivery workflow: its state query, the signal by which a retrying
// activity reports each failed attempt, and the policy its attempts run under.
func startDelivery(ctx workflow.Context, in wire.DeliveryInput) (*delivery, error) {
	d := &delivery{
		in:             in,
		manual:         in.Trigger == string(herald.TriggerManual),
		policy:         herald.RetryPolicy(in.Retry),
		attemptTimeout: herald.AttemptTimeout(in.TimeoutSeconds),
		summary:        "deliver " + in.EventType + " → " + in.Host,
		state:          &DeliveryState{Status: string(herald.DeliveryPending)},
	}
	if d.manual {
		d.policy.MaxAttempts = 1 // a redelivery is one attempt
	}
	if err := workflow.SetQueryHandler(ctx, wire.QueryState, func() (DeliveryState, error) { return *d.state, nil }); err != nil {
		return nil, err
	}
	attempts := workflow.GetSignalChannel(ctx, wire.SignalAttempt)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var f wire.FailedAttempt
			attempts.Receive(ctx, &f)
			d.state.failed(f)
		}
	})
	_, d.legacyStatus = workflow.GetTypedSearchAttributes(ctx).GetKeyword(wire.AttrDeliveryStatus)
	return d, nil
}

// deliverInput is the deliver activity's input for the attempts after the first offset ones.
func (d *delivery) deliverInput(offset int) wire.DeliverInput {
	return wire.DeliverInput{DeliveryID: d.in.DeliveryID, Retry: wire.RetryPolicy(d.policy), Trigger: d.in.Trigger, AttemptOffset: offset}
}

// firstAttempt makes the first attempt, as a local activity with no retry of its own.
func (d *delivery) firstAttempt(ctx workflow.Context) (wire.DeliverResult, error) {
	var a *activities.Activities
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:             d.summary + " (first attempt)",
		StartToCloseTimeout: d.attemptTimeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var res wire.DeliverResult
	err := workflow.ExecuteLocalActivity(lctx, a.Deliver, d.deliverInput(0)).Get(ctx, &res)
	return res, err
}

// remainingAttempts runs the attempts the policy has left after a retryable first failure:
// it waits the delay the first attempt asked for (the policy's backoff, or the endpoint's
// Retry-After), then runs the deliver activity under a retry policy shifted by that attempt. A
// first attempt that never reached the endpoint (no FailedAttempt: the worker stopped, the
// attempt timed out) does not count, and the policy runs whole. It returns the first failure
// when the policy has no attempt left.
func (d *delivery) remainingAttempts(ctx workflow.Context, first error) (wire.DeliverResult, error) {
	var a *activities.Activities
	offset, wait := 0, time.Duration(0)
	if f, ok := failedAttempt(first); ok {
		offset, wait = 1, f.NextDelay
		d.state.failed(f)
	}
	if offset >= d.policy.MaxAttempts {
		return wire.DeliverResult{}, first
	}
	if wait > 0 {
		if err := workflow.Sleep(ctx, wait); err != nil {
			return wire.DeliverResult{}, err // cancelled while waiting
		}
	}
	rest := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:                d.summary + " (retries)",
		StartToCloseTimeout:    d.attemptTimeout,
		ScheduleToCloseTimeout: window(d.policy, offset, d.attemptTimeout),
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    d.policy.NextInterval(offset + 1),
			BackoffCoefficient: d.policy.BackoffCoefficient,
			MaximumInterval:    seconds(d.policy.MaxIntervalSeconds),
			MaximumAttempts:    int32(d.policy.MaxAttempts - offset),
			NonRetryableErrorTypes: []string{
				activities.ErrGone, activities.ErrWebhookInactive, activities.ErrDisabled, activities.ErrNotFound,
			},
		},
	})
	var res wire.DeliverResult
	err := workflow.ExecuteActivity(rest, a.Deliver, d.deliverInput(offset)).Get(ctx, &res)
	return res, err
}

// finish ends the delivery with the outcome of its last attempt (err nil: res is the attempt
// that succeeded, or the delivery was found final). A successful automatic delivery just
// completes. Any other end records the final status in PostgreSQL and then, for workflows
// started since the status record (the GetVersion below, on these paths only), brings the
// delivery's status record up to date (endWithStatusRecord).
func (d *delivery) finish(ctx workflow.Context, res wire.DeliverResult, err error) (*wire.DeliveryResult, error) {
	status := d.outcome(res, err)
	if err != nil {
		if ferr := d.recordFinal(ctx, status, err); ferr != nil {
			return nil, ferr
		}
	}
	result := &wire.DeliveryResult{Status: string(status), Attempts: d.state.Attempt, StatusCode: res.StatusCode}
	if (err != nil || d.manual) && workflow.GetVersion(ctx, changeStatusRecord, workflow.DefaultVersion, 1) == 1 {
		return endWithStatusRecord(ctx, d.in, result, d.state, err)
	}
	// Delivery workflows started before the status record carry the final status themselves
	// and complete whatever it is.
	if status != herald.DeliverySucceeded || d.legacyStatus {
		_ = workflow.UpsertTypedSearchAttributes(ctx, wire.AttrDeliveryStatus.ValueSet(string(status)))
	}
	if status == herald.DeliveryCancelled && temporal.IsCanceledError(err) {
		return nil, err
	}
	return result, nil
}

// outcome is the delivery's status after its last attempt, which it also puts in the state
// query's answer: succeeded (or the status the delivery was found in), cancelled (the workflow
// was cancelled, or an automatic delivery's webhook was switched off), or failed.
func (d *delivery) outcome(res wire.DeliverResult, err error) herald.DeliveryStatus {
	status := herald.DeliverySucceeded
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
		if res.Status != "" {
			status = herald.DeliveryStatus(res.Status)
		}
		d.state.Attempt = max(d.state.Attempt, res.Attempt)
	case temporal.IsCanceledError(err):
		status = herald.DeliveryCancelled
	default:
		status = herald.DeliveryFailed
		if errors.As(err, &appErr) && appErr.Type() == activities.ErrWebhookInactive && !d.manual {
			status = herald.DeliveryCancelled
		}
		if f, ok := failedAttempt(err); ok {
			d.state.failed(f)
		}
	}
	d.state.Status, d.state.NextAttemptAt = string(status), nil
	return status
}

// recordFinal records the status of a delivery that did not succeed in PostgreSQL (after a
// redelivery, failed unless an earlier attempt succeeded), even when the workflow was cancelled.
func (d *delivery) recordFinal(ctx workflow.Context, status herald.DeliveryStatus, cause error) error {
	var a *activities.Activities
	rctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             "record " + string(status),
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	if temporal.IsCanceledError(cause) {
		rctx, _ = workflow.NewDisconnectedContext(rctx)
	}
	return workflow.ExecuteActivity(rctx, a.FinishDelivery, wire.FinishInput{
		DeliveryID: d.in.DeliveryID, Status: string(status), Manual: d.manual,
	}).Get(rctx, nil)
}

// failedAttempt is the FailedAttempt an attempt's error carries, if it reached the endpoint.
func failedAttempt(err error) (wire.FailedAttempt, bool) {
	var appErr *temporal.ApplicationError
	var f wire.FailedAttempt
	if errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(&f) == nil {
		return f, true
	}
	return f, false
}

// changeStatusRecord is the change after which a delivery workflow that ends failed
// fails, and the delivery's current status lives on its status record instead of on the
// workflow (see StatusRecordWorkflow).
const changeStatusRecord = "status-record"

// ErrDeliveryFailed is the type of the non-retryable error a failed delivery workflow ends
// with; its details are the workflow's DeliveryState.
const ErrDeliveryFailed = "delivery_failed"

// endWithStatusRecord ends a delivery workflow that did not succeed, or a redelivery, once its
// status is in PostgreSQL: the delivery's status record follows that status, then a failed
// delivery fails its workflow (so that the Temporal UI shows it as a failure), a cancelled one
// stays cancelled and a successful redelivery completes.
func endWithStatusRecord(ctx workflow.Context, in wire.DeliveryInput, result *wire.DeliveryResult, state *DeliveryState, cause error) (*wire.DeliveryResult, error) {
	var a *activities.Activities
	tctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:             "track status " + result.Status,
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	if temporal.IsCanceledError(cause) {
		tctx, _ = workflow.NewDisconnectedContext(tctx)
	}
	owner, _ := workflow.GetTypedSearchAttributes(ctx).GetKeyword(wire.AttrOwnerID)
	if err := workflow.ExecuteLocalActivity(tctx, a.TrackStatus, wire.TrackInput{
		DeliveryID: in.DeliveryID, Workflow: wire.StatusRecordWorkflow, StatusAttribute: wire.AttrDeliveryStatus.GetName(),
		Attributes: map[string]string{
			wire.AttrEventType.GetName(): in.EventType, wire.AttrWebhookID.GetName(): in.WebhookID, wire.AttrOwnerID.GetName(): owner,
		},
	}).Get(tctx, nil); err != nil {
		return nil, err
	}
	switch {
	case result.Status == string(herald.DeliveryCancelled) && temporal.IsCanceledError(cause):
		return nil, cause
	case result.Status == string(herald.DeliveryFailed):
		return nil, temporal.NewNonRetryableApplicationError(failureMessage(result, state, cause), ErrDeliveryFailed, nil, *state)
	}
	return result, nil
}

// failureMessage says how a delivery failed: its attempts, the last status code and the kind
// of error (the activity's error type: http_status, network, gone, ...; and the network
// error's kind).
func failureMessage(result *wire.DeliveryResult, state *DeliveryState, cause error) string {
	kind := "unknown"
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(cause, &appErr):
		kind = appErr.Type()
	case temporal.IsTimeoutError(cause):
		kind = "timeout"
	}
	if state.LastErrorKind != "" && state.LastErrorKind != kind {
		kind += ": " + state.LastErrorKind
	}
	last := "no HTTP answer"
	if state.LastStatusCode != 0 {
		last = "last status " + strconv.Itoa(state.LastStatusCode)
	}
	return fmt.Sprintf("delivery failed after %d attempt(s): %s (%s)", result.Attempts, last, kind)
}

// retryable is whether a failed attempt may be followed by another under the policy.
func retryable(err error) bool {
	if temporal.IsCanceledError(err) {
		return false
	}
	var appErr *temporal.ApplicationError
	return !errors.As(err, &appErr) || !appErr.NonRetryable()
}

// window is how long the attempts after the first offset may take in all: the policy's
// schedule, bounded by herald.MaxRetryWindow (which webhooks' policies are checked against).
func window(p herald.RetryPolicy, offset int, attemptTimeout time.Duration) time.Duration {
	return min(p.Schedule(offset, attemptTimeout), herald.MaxRetryWindow)
}
