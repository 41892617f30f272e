package activities

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/netguard"
	"github.com/herald-webhooks/herald/internal/signing"
	"github.com/herald-webhooks/herald/internal/wire"
)

// fakeStore is the part of the store Deliver uses, in memory; the rest of Store panics.
type fakeStore struct {
	Store
	mu       sync.Mutex
	target   herald.Target
	records  []herald.AttemptRecord
	finished herald.DeliveryStatus // the status FinishDelivery set
	disable  bool                  // DisableIfFailing disables
	disabled string                // the call that disabled: "gone" or "failing"
}

func (f *fakeStore) DeliveryTarget(context.Context, string) (*herald.Target, error) {
	t := f.target
	return &t, nil
}

func (f *fakeStore) BeginAttempt(context.Context, string, herald.Trigger, time.Time, []byte) (int, error) {
	return 1, nil
}

func (f *fakeStore) RecordAttempt(_ context.Context, _ string, a herald.AttemptRecord) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records = append(f.records, a)
	return len(f.records), nil
}

func (f *fakeStore) FinishDelivery(_ context.Context, _ string, status herald.DeliveryStatus) error {
	f.finished = status
	return nil
}

func (f *fakeStore) DisableWebhook(context.Context, string, string, string) (bool, []herald.DeliveryRef, error) {
	f.disabled = "gone"
	return true, nil, nil
}

func (f *fakeStore) DisableIfFailing(context.Context, string, string) (bool, []herald.DeliveryRef, error) {
	if f.disable {
		f.disabled = "failing"
	}
	return f.disable, nil, nil
}

// TestDeliverTurnsOutcomesIntoApplicationErrors runs the deliver activity over a store fake
// against loopback receivers and checks what the retry policy is told: the error type, whether
// it is retryable, the next retry's delay, and what the attempt log gets.
func TestDeliverTurnsOutcomesIntoApplicationErrors(t *testing.T) {
	policy := herald.RetryPolicy{MaxAttempts: 3, InitialIntervalSeconds: 10, BackoffCoefficient: 2, MaxIntervalSeconds: 600}
	answer := func(code int, retryAfter string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(code)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	tests := []struct {
		name         string
		url          string
		status       herald.WebhookStatus // the webhook's status; active when ""
		disable      bool                 // the failure disables the webhook
		guarded      bool                 // the network policy refuses loopback
		policy       herald.RetryPolicy
		errType      string // "" for a success
		nonRetryable bool
		delay        time.Duration // the next retry's delay and the recorded next attempt's distance
		disabled     string
		finished     herald.DeliveryStatus
	}{
		{name: "a 2xx is a success with nothing next", url: answer(204, ""), policy: policy},
		{name: "a 500 is retryable after the backoff", url: answer(500, ""), policy: policy,
			errType: ErrHTTPStatus, delay: 10 * time.Second},
		{name: "a 503's Retry-After is the next retry's delay", url: answer(503, "120"), policy: policy,
			errType: ErrHTTPStatus, delay: 2 * time.Minute},
		{name: "a 429's Retry-After beyond the maximum interval is cut to it", url: answer(429, "86400"), policy: policy,
			errType: ErrHTTPStatus, delay: 10 * time.Minute},
		{name: "no answer is a retryable network error", url: closed, policy: policy, errType: ErrNetwork, delay: 10 * time.Second},
		{name: "the policy's last attempt has no next attempt", url: answer(500, "120"),
			policy:  herald.RetryPolicy{MaxAttempts: 1, InitialIntervalSeconds: 10, BackoffCoefficient: 2, MaxIntervalSeconds: 600},
			errType: ErrHTTPStatus},
		{name: "410 is not retried and disables the webhook", url: answer(410, ""), policy: policy,
			errType: ErrGone, nonRetryable: true, disabled: "gone"},
		{name: "a failure that disables the webhook is not retried", url: answer(500, ""), policy: policy, disable: true,
			errType: ErrDisabled, nonRetryable: true, delay: 10 * time.Second, disabled: "failing"},
		{name: "an address the network policy refuses is not retried", url: answer(204, ""), policy: policy, guarded: true,
			errType: ErrorKindBlocked, nonRetryable: true, delay: 10 * time.Second},
		{name: "a deactivated webhook's delivery is cancelled unsent", url: closed, status: herald.WebhookInactive, policy: policy,
			errType: ErrWebhookInactive, nonRetryable: true, finished: herald.DeliveryCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status := tt.status
			if status == "" {
				status = herald.WebhookActive
			}
			store := &fakeStore{disable: tt.disable, target: herald.Target{DeliveryID: "dlv_1", DeliveryStatus: herald.DeliveryPending,
				EventID: "evt_1", EventType: "summary.completed", Body: []byte(`{}`), WebhookID: "wh_1", WebhookStatus: status,
				URL: tt.url, TimeoutSeconds: 5, Secrets: []string{signing.NewSecret("whsec_")}}}
			a := &Activities{Store: store, HTTP: NewHTTPClient(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			if tt.guarded {
				a.HTTP = NewGuardedHTTPClient(netguard.Policy{AllowHTTP: true}.Control, nil)
			}
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(log.NewStructuredLogger(a.Logger))
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(a)
			fut, err := env.ExecuteActivity(a.Deliver, wire.DeliverInput{DeliveryID: "dlv_1", Retry: wire.RetryPolicy(tt.policy)})

			if tt.errType == "" {
				var res wire.DeliverResult
				if err != nil || fut.Get(&res) != nil || res.Status != string(herald.DeliverySucceeded) || res.StatusCode != 204 {
					t.Fatalf("result %+v, error %v", res, err)
				}
			} else {
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) {
					t.Fatalf("error %v, want an application error", err)
				}
				if appErr.Type() != tt.errType || appErr.NonRetryable() != tt.nonRetryable {
					t.Fatalf("error type %q non-retryable %v, want %q %v", appErr.Type(), appErr.NonRetryable(), tt.errType, tt.nonRetryable)
				}
				if want := map[bool]time.Duration{false: tt.delay, true: 0}[tt.nonRetryable]; appErr.NextRetryDelay() != want {
					t.Fatalf("next retry delay %v, want %v", appErr.NextRetryDelay(), want)
				}
			}
			if store.disabled != tt.disabled || store.finished != tt.finished {
				t.Fatalf("disabled by %q, finished %q; want %q, %q", store.disabled, store.finished, tt.disabled, tt.finished)
			}
			if tt.finished != "" {
				if len(store.records) != 0 {
					t.Fatalf("%d attempts recorded, want none", len(store.records))
				}
				return
			}
			if len(store.records) != 1 {
				t.Fatalf("%d attempts recorded, want 1", len(store.records))
			}
			rec := store.records[0]
			if rec.Succeeded != (tt.errType == "") || rec.Number != 1 {
				t.Fatalf("recorded %+v", rec)
			}
			switch {
			case tt.delay == 0 && rec.NextAttemptAt != nil:
				t.Fatalf("next attempt recorded at %v, want none", rec.NextAttemptAt)
			case tt.delay != 0 && (rec.NextAttemptAt == nil || rec.NextAttemptAt.Sub(rec.StartedAt) != tt.delay):
				t.Fatalf("next attempt recorded at %v, want %v after %v", rec.NextAttemptAt, tt.delay, rec.StartedAt)
			}
		})
	}
}
