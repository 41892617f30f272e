package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/delivery"
	"github.com/herald-webhooks/herald/internal/wire"
	"github.com/herald-webhooks/herald/workflows"
)

// The workflow unit tests run the workflows in the SDK's test environment (its own clock,
// timers skipped, no server) against a scripted stand-in of the deliver activity and of the
// activities that record outcomes, which is what these tests are about: which attempts a
// delivery makes when, what it records and how it ends. The activities themselves are tested
// against PostgreSQL and real HTTP in package activities and api.

// answer is what the scripted endpoint does on one attempt.
type answer struct {
	code       int           // HTTP status; 0 is no answer (a network error)
	retryAfter time.Duration // the Retry-After of a 429 or 503
	errType    string        // the activity's error type instead of the HTTP one (ErrDisabled, ErrWebhookInactive)
}

// endpoint is a scripted stand-in for the deliver, finish and track-status activities: it
// answers each attempt with the next answer (the last one repeats), builds the deliver
// activity's errors the way the activity does (same types, details and next-retry delay,
// from the delivery core's delay rule) and records what the workflow asked.
type endpoint struct {
	env     *testsuite.TestWorkflowEnvironment
	answers []answer

	mu       sync.Mutex
	attempts []attempt
	finished []wire.FinishInput
	tracked  []wire.TrackInput
}

// attempt is one deliver activity run: when and with which input.
type attempt struct {
	at time.Time
	in wire.DeliverInput
}

func newEndpoint(t *testing.T, answers ...answer) *endpoint {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	e := &endpoint{env: env, answers: answers}
	env.RegisterWorkflow(workflows.DeliveryWorkflow)
	var a *activities.Activities
	env.RegisterActivity(a)
	env.OnActivity(a.Deliver, mock.Anything, mock.Anything).Return(e.deliver)
	env.OnActivity(a.FinishDelivery, mock.Anything, mock.Anything).Return(func(_ context.Context, in wire.FinishInput) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.finished = append(e.finished, in)
		return nil
	})
	env.OnActivity(a.TrackStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, in wire.TrackInput) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.tracked = append(e.tracked, in)
		return nil
	})
	return e
}

func (e *endpoint) deliver(_ context.Context, in wire.DeliverInput) (*wire.DeliverResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.env.Now()
	e.attempts = append(e.attempts, attempt{at: now, in: in})
	n := len(e.attempts)
	ans := e.answers[min(n, len(e.answers))-1]
	if ans.code >= 200 && ans.code < 300 {
		return &wire.DeliverResult{Status: string(herald.DeliverySucceeded), Attempt: n, StatusCode: ans.code}, nil
	}
	failed := wire.FailedAttempt{Attempt: n, StatusCode: ans.code, ErrorKind: "network", Error: "connection refused"}
	kind, nonRetryable := activities.ErrNetwork, false
	switch {
	case ans.errType == activities.ErrWebhookInactive:
		return nil, temporal.NewApplicationErrorWithOptions("webhook is inactive", ans.errType, temporal.ApplicationErrorOptions{
			NonRetryable: true, Category: temporal.ApplicationErrorCategoryBenign,
		})
	case ans.errType != "":
		kind, nonRetryable = ans.errType, true
	case ans.code == 410:
		kind, nonRetryable = activities.ErrGone, true
	case ans.code != 0:
		kind = activities.ErrHTTPStatus
	}
	if ans.code != 0 {
		failed.ErrorKind, failed.Error = activities.ErrHTTPStatus, "endpoint answered an error"
	}
	if !nonRetryable && n < in.Retry.MaxAttempts {
		failed.NextDelay = delivery.NextDelay(herald.RetryPolicy(in.Retry), n, ans.retryAfter)
		next := now.Add(failed.NextDelay)
		failed.NextAttemptAt = &next
	}
	return nil, temporal.NewApplicationErrorWithOptions(failed.Error, kind, temporal.ApplicationErrorOptions{
		NonRetryable: nonRetryable, NextRetryDelay: failed.NextDelay, Details: []any{failed},
		Category: temporal.ApplicationErrorCategoryBenign,
	})
}

// gaps is the time between consecutive attempts.
func (e *endpoint) gaps() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	var gaps []time.Duration
	for i := 1; i < len(e.attempts); i++ {
		gaps = append(gaps, e.attempts[i].at.Sub(e.attempts[i-1].at))
	}
	return gaps
}

// run runs a delivery workflow of in to its end.
func (e *endpoint) run(t *testing.T, in wire.DeliveryInput) (*wire.DeliveryResult, error) {
	t.Helper()
	e.env.ExecuteWorkflow(workflows.DeliveryWorkflow, in)
	if !e.env.IsWorkflowCompleted() {
		t.Fatal("the delivery workflow did not end")
	}
	if err := e.env.GetWorkflowError(); err != nil {
		return nil, err
	}
	var res wire.DeliveryResult
	if err := e.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return &res, nil
}

// policy is 5 attempts, 1 minute doubling up to 10 minutes.
var policy = wire.RetryPolicy{MaxAttempts: 5, InitialIntervalSeconds: 60, BackoffCoefficient: 2, MaxIntervalSeconds: 600}

func deliveryInput(trigger string) wire.DeliveryInput {
	return wire.DeliveryInput{DeliveryID: "dlv_1", EventID: "evt_1", WebhookID: "wh_1", Retry: policy,
		TimeoutSeconds: 10, Trigger: trigger, EventType: "summary.completed", Host: "example.com"}
}

// failure is the delivery_failed application error a failed delivery workflow ends with, and
// the state in its details.
func failure(t *testing.T, err error) workflows.DeliveryState {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrDeliveryFailed || !appErr.NonRetryable() {
		t.Fatalf("the workflow ended with %v, want a non-retryable %s error", err, workflows.ErrDeliveryFailed)
	}
	var st workflows.DeliveryState
	if err := appErr.Details(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestDeliveryWorkflow(t *testing.T) {
	t.Run("a 2xx on the first attempt completes with nothing recorded", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 200})
		res, err := e.run(t, deliveryInput(""))
		if err != nil || res.Status != string(herald.DeliverySucceeded) || res.Attempts != 1 || res.StatusCode != 200 {
			t.Fatalf("result %+v, error %v, want succeeded after 1 attempt with 200", res, err)
		}
		if len(e.attempts) != 1 || len(e.finished) != 0 || len(e.tracked) != 0 {
			t.Fatalf("%d attempts, finished %v, tracked %v: want 1 attempt and nothing recorded", len(e.attempts), e.finished, e.tracked)
		}
	})

	t.Run("failed attempts are retried at the policy's intervals until one succeeds", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 500}, answer{code: 0}, answer{code: 500}, answer{code: 200})
		res, err := e.run(t, deliveryInput(""))
		if err != nil || res.Status != string(herald.DeliverySucceeded) || res.Attempts != 4 {
			t.Fatalf("result %+v, error %v, want succeeded after 4 attempts", res, err)
		}
		want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute}
		if got := e.gaps(); !equal(got, want) {
			t.Fatalf("attempts %v apart, want %v", got, want)
		}
		// The first attempt is the local one; the rest run as one activity shifted by it.
		if e.attempts[0].in.AttemptOffset != 0 || e.attempts[1].in.AttemptOffset != 1 || e.attempts[3].in.AttemptOffset != 1 {
			t.Fatalf("attempt offsets %d %d %d, want 0 1 1", e.attempts[0].in.AttemptOffset, e.attempts[1].in.AttemptOffset, e.attempts[3].in.AttemptOffset)
		}
		if e.attempts[1].in.Retry != policy {
			t.Fatalf("the retries ran under %+v, want the webhook's %+v", e.attempts[1].in.Retry, policy)
		}
		if len(e.finished) != 0 || len(e.tracked) != 0 {
			t.Fatalf("finished %v, tracked %v: a delivered delivery records nothing more", e.finished, e.tracked)
		}
	})

	t.Run("an endpoint's Retry-After is the next delay, on the first retry and on later ones", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 503, retryAfter: 5 * time.Minute}, answer{code: 429, retryAfter: 7 * time.Minute},
			answer{code: 429, retryAfter: time.Hour}, answer{code: 200})
		res, err := e.run(t, deliveryInput(""))
		if err != nil || res.Status != string(herald.DeliverySucceeded) || res.Attempts != 4 {
			t.Fatalf("result %+v, error %v, want succeeded after 4 attempts", res, err)
		}
		// A Retry-After beyond the policy's maximum interval waits the maximum.
		want := []time.Duration{5 * time.Minute, 7 * time.Minute, 10 * time.Minute}
		if got := e.gaps(); !equal(got, want) {
			t.Fatalf("attempts %v apart, want %v", got, want)
		}
	})

	t.Run("a 410 is not retried: the delivery fails, is recorded failed and tracked", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 500}, answer{code: 410})
		_, err := e.run(t, deliveryInput(""))
		st := failure(t, err)
		if st.Status != string(herald.DeliveryFailed) || st.Attempt != 2 || st.LastStatusCode != 410 || st.NextAttemptAt != nil {
			t.Fatalf("state %+v, want failed after 2 attempts, last status 410, no next attempt", st)
		}
		if len(e.attempts) != 2 {
			t.Fatalf("%d attempts, want 2 (none after the 410)", len(e.attempts))
		}
		wantFinished(t, e, wire.FinishInput{DeliveryID: "dlv_1", Status: string(herald.DeliveryFailed)})
	})

	t.Run("a 410 on the first attempt runs no retry activity", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 410})
		_, err := e.run(t, deliveryInput(""))
		if st := failure(t, err); st.Attempt != 1 || st.LastStatusCode != 410 {
			t.Fatalf("state %+v, want 1 attempt that got 410", st)
		}
		if len(e.attempts) != 1 {
			t.Fatalf("%d attempts, want 1", len(e.attempts))
		}
		wantFinished(t, e, wire.FinishInput{DeliveryID: "dlv_1", Status: string(herald.DeliveryFailed)})
	})

	t.Run("a delivery that exhausts its policy fails after exactly its attempts", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 500})
		_, err := e.run(t, deliveryInput(""))
		if st := failure(t, err); st.Attempt != 5 || st.LastStatusCode != 500 {
			t.Fatalf("state %+v, want 5 attempts, last 500", st)
		}
		if want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}; !equal(e.gaps(), want) {
			t.Fatalf("attempts %v apart, want %v", e.gaps(), want)
		}
		wantFinished(t, e, wire.FinishInput{DeliveryID: "dlv_1", Status: string(herald.DeliveryFailed)})
	})

	t.Run("the failure that disables the webhook ends the delivery failed", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 500}, answer{code: 500, errType: activities.ErrDisabled})
		_, err := e.run(t, deliveryInput(""))
		if st := failure(t, err); st.Attempt != 2 {
			t.Fatalf("state %+v, want 2 attempts", st)
		}
		if len(e.attempts) != 2 {
			t.Fatalf("%d attempts, want 2 (none after the disable)", len(e.attempts))
		}
		wantFinished(t, e, wire.FinishInput{DeliveryID: "dlv_1", Status: string(herald.DeliveryFailed)})
	})

	t.Run("a webhook switched off during the retries cancels the automatic delivery", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 500}, answer{errType: activities.ErrWebhookInactive})
		res, err := e.run(t, deliveryInput(""))
		if err != nil || res.Status != string(herald.DeliveryCancelled) {
			t.Fatalf("result %+v, error %v, want a completed workflow with status cancelled", res, err)
		}
		wantFinished(t, e, wire.FinishInput{DeliveryID: "dlv_1", Status: string(herald.DeliveryCancelled)})
	})

	t.Run("cancelling the workflow while it waits for a retry records cancelled and ends cancelled", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 500})
		e.env.RegisterDelayedCallback(e.env.CancelWorkflow, 30*time.Second)
		_, err := e.run(t, deliveryInput(""))
		var cancelled *temporal.CanceledError
		if !errors.As(err, &cancelled) {
			t.Fatalf("the workflow ended with %v, want cancelled", err)
		}
		if len(e.attempts) != 1 {
			t.Fatalf("%d attempts, want 1 (the retry was cancelled while waiting)", len(e.attempts))
		}
		wantFinished(t, e, wire.FinishInput{DeliveryID: "dlv_1", Status: string(herald.DeliveryCancelled)})
	})

	t.Run("a manual redelivery makes one attempt whatever the webhook's policy", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 500})
		_, err := e.run(t, deliveryInput(string(herald.TriggerManual)))
		if st := failure(t, err); st.Attempt != 1 {
			t.Fatalf("state %+v, want 1 attempt", st)
		}
		if len(e.attempts) != 1 || e.attempts[0].in.Retry.MaxAttempts != 1 || e.attempts[0].in.Trigger != string(herald.TriggerManual) {
			t.Fatalf("attempts %+v, want one manual attempt under a one-attempt policy", e.attempts)
		}
		wantFinished(t, e, wire.FinishInput{DeliveryID: "dlv_1", Status: string(herald.DeliveryFailed), Manual: true})
	})

	t.Run("a successful manual redelivery updates the status record", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 200})
		res, err := e.run(t, deliveryInput(string(herald.TriggerManual)))
		if err != nil || res.Status != string(herald.DeliverySucceeded) {
			t.Fatalf("result %+v, error %v, want succeeded", res, err)
		}
		if len(e.finished) != 0 || len(e.tracked) != 1 {
			t.Fatalf("finished %v, tracked %v: want no final status and one status record update", e.finished, e.tracked)
		}
	})

	t.Run("the state query shows the last failed attempt and when the next is due", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 503}, answer{code: 200})
		var st workflows.DeliveryState
		var qerr error
		e.env.RegisterDelayedCallback(func() {
			v, err := e.env.QueryWorkflow(wire.QueryState)
			if qerr = err; err == nil {
				qerr = v.Get(&st)
			}
		}, 30*time.Second)
		if _, err := e.run(t, deliveryInput("")); err != nil {
			t.Fatal(err)
		}
		if qerr != nil || st.Status != string(herald.DeliveryPending) || st.Attempt != 1 || st.LastStatusCode != 503 ||
			st.NextAttemptAt == nil || !st.NextAttemptAt.Equal(e.attempts[0].at.Add(time.Minute)) {
			t.Fatalf("state while waiting %+v (%v), want pending after 1 attempt, last 503, next a minute after it", st, qerr)
		}
	})

	t.Run("a delivery workflow started before 0.3 still sets its final status on success", func(t *testing.T) {
		e := newEndpoint(t, answer{code: 200})
		if err := e.env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(
			wire.AttrDeliveryStatus.ValueSet(string(herald.DeliveryPending)))); err != nil {
			t.Fatal(err)
		}
		upserted := false
		e.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
			v, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(wire.AttrDeliveryStatus)
			upserted = ok && v == string(herald.DeliverySucceeded)
		}).Return(nil)
		if _, err := e.run(t, deliveryInput("")); err != nil || !upserted {
			t.Fatalf("error %v, status upserted %v: want HeraldDeliveryStatus=succeeded set", err, upserted)
		}
	})
}

func wantFinished(t *testing.T, e *endpoint, want wire.FinishInput) {
	t.Helper()
	if len(e.finished) != 1 || e.finished[0] != want {
		t.Fatalf("recorded %+v, want %+v", e.finished, want)
	}
	if len(e.tracked) != 1 || e.tracked[0].DeliveryID != want.DeliveryID || e.tracked[0].Workflow != wire.StatusRecordWorkflow {
		t.Fatalf("status record updates %+v, want one for %s", e.tracked, want.DeliveryID)
	}
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
