package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/delivery"
	"github.com/herald-webhooks/herald/internal/wire"
)

// attemptStore is what Deliver and FinishDelivery need of PostgreSQL: the delivery's target,
// the attempt log and the delivery's final status.
type attemptStore interface {
	DeliveryTarget(ctx context.Context, deliveryID string) (*herald.Target, error)
	BeginAttempt(ctx context.Context, deliveryID string, trigger herald.Trigger, startedAt time.Time, requestHeaders []byte) (int, error)
	RecordAttempt(ctx context.Context, deliveryID string, a herald.AttemptRecord) (int, error)
	FinishDelivery(ctx context.Context, deliveryID string, status herald.DeliveryStatus) error
	FinishManual(ctx context.Context, deliveryID string) error
}

// Deliver makes one signed HTTP attempt of a delivery (package delivery) and records it. It
// returns a retryable application error for a failure the policy should retry, a
// non-retryable one otherwise.
func (a *Activities) Deliver(ctx context.Context, in wire.DeliverInput) (*wire.DeliverResult, error) {
	manual := herald.Trigger(in.Trigger) == herald.TriggerManual
	// A PostgreSQL restart must not cost an attempt: before sending, wait out an unreachable
	// database for up to loadPatience instead of failing (which would count against the policy).
	var t *herald.Target
	loadCtx, cancel := context.WithTimeout(ctx, loadPatience)
	err := a.whileUnreachable(loadCtx, func() (err error) {
		t, err = a.Store.DeliveryTarget(loadCtx, in.DeliveryID)
		return err
	})
	cancel()
	if err != nil {
		return nil, classifyStoreError(err)
	}
	if res, err := a.stopped(ctx, t, manual); res != nil || err != nil {
		return res, err
	}
	trigger := herald.TriggerAuto
	if manual {
		trigger = herald.TriggerManual
	}
	// The attempt is logged, in flight, just before its request goes out, so that a worker
	// that stops before the answer leaves it in the log.
	var number int
	out := a.sender().SendAfter(ctx, delivery.RequestFor(t, trigger), func(headers []byte, started time.Time) error {
		beginCtx, cancel := context.WithTimeout(ctx, loadPatience)
		defer cancel()
		return a.whileUnreachable(beginCtx, func() (err error) {
			number, err = a.Store.BeginAttempt(beginCtx, t.DeliveryID, trigger, started, headers)
			return err
		})
	})
	if out.NotSent != nil {
		return nil, fmt.Errorf("log attempt: %w", out.NotSent)
	}

	delay, next := out.Next(herald.RetryPolicy(in.Retry), in.AttemptOffset+int(activity.GetInfo(ctx).Attempt))
	// The request went out: keep trying to log its outcome until the activity's deadline.
	out.Attempt.Number = number // 0 when the attempt failed before its request: logged now
	err = a.whileUnreachable(ctx, func() (err error) {
		number, err = a.Store.RecordAttempt(ctx, t.DeliveryID, herald.AttemptRecord{
			Attempt: out.Attempt, RequestHeaders: out.RequestHeaders, Succeeded: out.OK, NextAttemptAt: next,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record attempt: %w", err)
	}
	return a.conclude(ctx, t, out, wire.FailedAttempt{Attempt: number, StatusCode: out.StatusCode(),
		ErrorKind: out.Attempt.ErrorKind, Error: out.Attempt.Error, NextDelay: delay, NextAttemptAt: next})
}

// stopped handles a delivery that must not be sent: its webhook is deleted, or (unless the
// attempt is manual) the delivery is final or its webhook is not active. It returns nil, nil
// when the attempt goes ahead.
func (a *Activities) stopped(ctx context.Context, t *herald.Target, manual bool) (*wire.DeliverResult, error) {
	switch {
	case t.WebhookDeleted:
		if !manual {
			if err := a.Store.FinishDelivery(ctx, t.DeliveryID, herald.DeliveryCancelled); err != nil {
				return nil, err
			}
		}
		return nil, inactive("webhook is deleted")
	case manual:
	case t.DeliveryStatus != herald.DeliveryPending:
		return &wire.DeliverResult{Status: string(t.DeliveryStatus)}, nil // finished elsewhere (a cancel): nothing to send
	case t.WebhookStatus != herald.WebhookActive:
		// Deactivated by its owner: the delivery is cancelled. Disabled by Herald: it is held,
		// like every delivery the disable stopped, for a replay to recover.
		status := herald.DeliveryCancelled
		if t.WebhookStatus == herald.WebhookDisabled {
			status = herald.DeliveryHeld
		}
		if err := a.Store.FinishDelivery(ctx, t.DeliveryID, status); err != nil {
			return nil, err
		}
		return nil, inactive("webhook is " + string(t.WebhookStatus))
	}
	return nil, nil
}

// conclude turns a recorded attempt's outcome into the activity's answer: a result for a
// success, else an application error the retry policy reads, after disabling the webhook when
// the endpoint is gone or has failed for too long. failed is the attempt as the workflow
// shows it.
func (a *Activities) conclude(ctx context.Context, t *herald.Target, out delivery.Outcome, failed wire.FailedAttempt) (*wire.DeliverResult, error) {
	log := a.Logger.With("delivery_id", t.DeliveryID, "event_id", t.EventID, "webhook_id", t.WebhookID,
		"attempt", failed.Attempt, "status_code", out.Attempt.StatusCode, "duration_ms", out.Attempt.DurationMS)
	if out.OK {
		log.Debug("delivered")
		return &wire.DeliverResult{Status: string(herald.DeliverySucceeded), Attempt: failed.Attempt, StatusCode: out.StatusCode(),
			DurationMS: out.Attempt.DurationMS}, nil
	}
	if out.Gone {
		log.Info("endpoint answered 410 Gone; disabling the webhook")
		a.disable(ctx, t, func() (bool, []herald.DeliveryRef, error) {
			return a.Store.DisableWebhook(ctx, t.WebhookID, t.DeliveryID, "the endpoint answered 410 Gone")
		})
		return nil, endpointFailure("endpoint answered 410 Gone", ErrGone, true, 0, failed)
	}
	log.Info("attempt failed", "error_kind", out.Attempt.ErrorKind)
	if out.Attempt.ErrorKind == delivery.KindBlocked {
		// The network policy refuses the address the URL resolves to: retrying cannot help.
		return nil, endpointFailure(out.Attempt.Error, ErrorKindBlocked, true, 0, failed)
	}
	if a.disable(ctx, t, func() (bool, []herald.DeliveryRef, error) {
		return a.Store.DisableIfFailing(ctx, t.WebhookID, t.DeliveryID)
	}) {
		return nil, endpointFailure("webhook disabled: failing for too long", ErrDisabled, true, 0, failed)
	}
	if failed.NextAttemptAt != nil && activity.IsActivity(ctx) && !activity.GetInfo(ctx).IsLocalActivity {
		a.signalState(ctx, failed)
	}
	kind := ErrNetwork
	if out.Attempt.StatusCode != nil {
		kind = ErrHTTPStatus
	}
	return nil, endpointFailure(out.Attempt.Error, kind, false, failed.NextDelay, failed)
}

// sender is the delivery core's sender with a's client and settings.
func (a *Activities) sender() *delivery.Sender {
	return &delivery.Sender{HTTP: a.HTTP, UserAgent: a.UserAgent}
}

// inactive is the activity error of a delivery whose webhook was deleted or switched off while
// it was pending: expected, hence benign like an endpoint failure.
func inactive(msg string) error {
	return temporal.NewApplicationErrorWithOptions(msg, ErrWebhookInactive, temporal.ApplicationErrorOptions{
		NonRetryable: true, Category: temporal.ApplicationErrorCategoryBenign,
	})
}

// endpointFailure is the activity error of an attempt the endpoint failed (an error status, a
// network error, 410, a blocked address, the failure that disabled the webhook). Receivers fail
// in normal operation, so the error is benign: the SDK logs it at debug level instead of
// logging an ERROR on every attempt, and the attempt log and metrics say what happened.
func endpointFailure(msg, kind string, nonRetryable bool, delay time.Duration, failed wire.FailedAttempt) error {
	return temporal.NewApplicationErrorWithOptions(msg, kind, temporal.ApplicationErrorOptions{
		NonRetryable: nonRetryable, NextRetryDelay: delay, Details: []any{failed},
		Category: temporal.ApplicationErrorCategoryBenign,
	})
}

// signalState tells the activity's delivery workflow about a failed attempt (best effort).
func (a *Activities) signalState(ctx context.Context, f wire.FailedAttempt) {
	if a.Temporal == nil {
		return
	}
	info := activity.GetInfo(ctx)
	if err := a.Temporal.SignalWorkflow(ctx, info.WorkflowExecution.ID, info.WorkflowExecution.RunID, wire.SignalAttempt, f); err != nil {
		a.Logger.Debug("signal delivery state", "workflow_id", info.WorkflowExecution.ID, "error", err)
	}
}

// FinishDelivery records a delivery's final status (failed or cancelled) if it is still
// pending; after a failed redelivery it records failed unless an earlier attempt succeeded.
func (a *Activities) FinishDelivery(ctx context.Context, in wire.FinishInput) error {
	if in.Manual {
		return a.Store.FinishManual(ctx, in.DeliveryID)
	}
	return a.Store.FinishDelivery(ctx, in.DeliveryID, herald.DeliveryStatus(in.Status))
}
