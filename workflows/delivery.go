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
// PostgreSQL. A delivery that ends without success (failed, or cancelled), and a redelivery,
// then bring the delivery's status record up to date (StatusRecordWorkflow carries
// HeraldDeliveryStatus); a failed delivery fails its workflow with an ErrDeliveryFailed error, a
// cancelled one ends cancelled. A successful automatic delivery just completes, which keeps the
// common path at one workflow task and no visibility write of its own.
//
// The first attempt is a local activity: in the common case (the endpoint answers 2xx) the
// delivery costs one workflow task and no activity task round trip. When it fails, the
// remaining attempts run as a regular activity under a Temporal retry policy built from the
// webhook's policy, shifted by the attempt already made, so the intervals are the policy's.
func DeliveryWorkflow(ctx workflow.Context, in wire.DeliveryInput) (*wire.DeliveryResult, error) {
	var a *activities.Activities
	state := &DeliveryState{Status: string(herald.DeliveryPending)}
	if err := workflow.SetQueryHandler(ctx, wire.QueryState, func() (DeliveryState, error) { return *state, nil }); err != nil {
		return nil, err
	}
	attempts := workflow.GetSignalChannel(ctx, wire.SignalAttempt)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var f wire.FailedAttempt
			attempts.Receive(ctx, &f)
			state.failed(f)
		}
	})

	// Delivery workflows started before 0.3 carry HeraldDeliveryStatus=pending from their start
	// and set the final status even on success; they keep doing so, so that their histories
	// replay (a query on a closed delivery replays it).
	_, startedWithStatus := workflow.GetTypedSearchAttributes(ctx).GetKeyword(wire.AttrDeliveryStatus)

	manual := in.Trigger == string(herald.TriggerManual)
	policy := herald.RetryPolicy(in.Retry)
	if manual {
		policy.MaxAttempts = 1 // a redelivery is one attempt
	}
	attemptTimeout := herald.AttemptTimeout(in.TimeoutSeconds)
	input := wire.DeliverInput{DeliveryID: in.DeliveryID, Retry: wire.RetryPolicy(policy), Trigger: in.Trigger}

	var res wire.DeliverResult
	summary := "deliver " + in.EventType + " → " + in.Host
	first := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:             summary + " (first attempt)",
		StartToCloseTimeout: attemptTimeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	err := workflow.ExecuteLocalActivity(first, a.Deliver, input).Get(ctx, &res)
	if err != nil && retryable(err) {
		offset, wait := 0, time.Duration(0)
		var appErr *temporal.ApplicationError
		var f wire.FailedAttempt
		if errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(&f) == nil {
			offset, wait = 1, f.NextDelay // the first attempt reached the endpoint
			state.failed(f)
		}
		if offset < policy.MaxAttempts {
			if wait > 0 {
				err = workflow.Sleep(ctx, wait)
			} else {
				err = nil
			}
			if err == nil {
				input.AttemptOffset = offset
				rest := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
					Summary:                summary + " (retries)",
					StartToCloseTimeout:    attemptTimeout,
					ScheduleToCloseTimeout: window(policy, offset, attemptTimeout),
					RetryPolicy: &temporal.RetryPolicy{
						InitialInterval:    policy.NextInterval(offset + 1),
						BackoffCoefficient: policy.BackoffCoefficient,
						MaximumInterval:    seconds(policy.MaxIntervalSeconds),
						MaximumAttempts:    int32(policy.MaxAttempts - offset),
						NonRetryableErrorTypes: []string{
							activities.ErrGone, activities.ErrWebhookInactive, activities.ErrDisabled, activities.ErrNotFound,
						},
					},
				})
				err = workflow.ExecuteActivity(rest, a.Deliver, input).Get(ctx, &res)
			}
		}
	}

	status := string(herald.DeliverySucceeded)
	switch {
	case err == nil:
		if res.Status != "" {
			status = res.Status
		}
		state.Attempt = max(state.Attempt, res.Attempt)
	case temporal.IsCanceledError(err):
		status = string(herald.DeliveryCancelled)
	default:
		status = string(herald.DeliveryFailed)
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == activities.ErrWebhookInactive && !manual {
			status = string(herald.DeliveryCancelled)
		}
		var f wire.FailedAttempt
		if errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(&f) == nil {
			state.failed(f)
		}
	}
	state.Status, state.NextAttemptAt = status, nil
	if err != nil {
		if manual && status != string(herald.DeliveryCancelled) {
			status = string(herald.DeliveryFailed)
		}
		recordCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			Summary:             "record " + status,
			StartToCloseTimeout: 30 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
		})
		if temporal.IsCanceledError(err) {
			recordCtx, _ = workflow.NewDisconnectedContext(recordCtx)
		}
		if ferr := workflow.ExecuteActivity(recordCtx, a.FinishDelivery, wire.FinishInput{
			DeliveryID: in.DeliveryID, Status: status, Manual: manual,
		}).Get(recordCtx, nil); ferr != nil {
			return nil, ferr
		}
	}
	result := &wire.DeliveryResult{Status: status, Attempts: state.Attempt, StatusCode: res.StatusCode}
	if (err != nil || manual) && workflow.GetVersion(ctx, changeStatusRecord, workflow.DefaultVersion, 1) == 1 {
		return endWithStatusRecord(ctx, in, result, state, err)
	}
	// Delivery workflows started before the status record carry the final status themselves
	// and complete whatever it is.
	if status != string(herald.DeliverySucceeded) || startedWithStatus {
		_ = workflow.UpsertTypedSearchAttributes(ctx, wire.AttrDeliveryStatus.ValueSet(status))
	}
	if status == string(herald.DeliveryCancelled) && temporal.IsCanceledError(err) {
		return nil, err
	}
	return result, nil
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
