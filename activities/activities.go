// Package activities holds all of Herald's I/O that workflows orchestrate: resolving an
// event's destinations, one signed HTTP attempt of a delivery, and recording outcomes.
//
// The activities are thin adapters: they load what they need from PostgreSQL (through small
// interfaces, declared where they are used), let the delivery core (package delivery) build,
// sign, send and judge the attempt, record it, apply auto-disable, and turn the core's outcome
// into a typed Temporal application error: ErrHTTPStatus and ErrNetwork are retryable under the
// webhook's retry policy (with the endpoint's Retry-After as the next retry's delay); ErrGone
// (410), ErrorKindBlocked, ErrDisabled and ErrWebhookInactive are not. Every attempt is recorded
// in PostgreSQL before the activity returns, so the log is complete even when the retry policy
// gives up.
package activities

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/delivery"
	"github.com/herald-webhooks/herald/internal/postgres"
)

// Application error types the retry policy reads.
const (
	ErrHTTPStatus      = delivery.KindHTTPStatus
	ErrNetwork         = "network"
	ErrGone            = "gone"
	ErrWebhookInactive = "webhook_inactive"
	ErrDisabled        = "webhook_disabled" // this attempt's failure disabled the webhook
	ErrNotFound        = "not_found"
)

// ErrorKindBlocked is the error kind of an attempt whose address the network policy refused.
const ErrorKindBlocked = delivery.KindBlocked

// MaxResponseBody is how much of a response body an attempt keeps (SPEC: 16 KiB).
const MaxResponseBody = delivery.MaxResponseBody

// Store is what the activities need of PostgreSQL; *postgres.Store is one. Each concern
// declares its part beside the activities that use it.
type Store interface {
	resolveStore
	attemptStore
	disableStore
	statusStore
	replayStore
	cancelStore
}

// Activities are Herald's activities; register one value with the worker.
type Activities struct {
	Store     Store
	HTTP      *http.Client // no redirects followed; see NewHTTPClient
	Logger    *slog.Logger
	UserAgent string // default User-Agent, "Herald-Webhook/<version>" when empty
	// Temporal cancels the delivery workflows of a webhook it disables and signals attempt
	// state to delivery workflows; optional (tests of single activities leave it nil).
	Temporal client.Client
}

// NewHTTPClient returns the client deliveries use (delivery.NewHTTPClient): pooled keep-alive
// connections, and redirects returned as responses (a 3xx is a failed attempt, never followed).
func NewHTTPClient() *http.Client { return delivery.NewHTTPClient() }

// NewGuardedHTTPClient is NewHTTPClient whose connections are checked by control (e.g.
// netguard.Policy.Control) on the address dialed, after DNS (delivery.NewGuardedHTTPClient).
func NewGuardedHTTPClient(control func(network, address string, c syscall.RawConn) error, resolver *net.Resolver) *http.Client {
	return delivery.NewGuardedHTTPClient(control, resolver)
}

// loadPatience is how long an attempt waits for an unreachable PostgreSQL before it sends.
const loadPatience = 10 * time.Second

// whileUnreachable runs f again, with backoff, while it fails because PostgreSQL is unreachable
// and ctx allows; other errors and success return at once.
func (a *Activities) whileUnreachable(ctx context.Context, f func() error) error {
	wait := 100 * time.Millisecond
	for {
		err := f()
		if err == nil || !postgres.Unreachable(err) {
			return err
		}
		a.Logger.Warn("PostgreSQL unreachable; retrying", "error", err, "retry_in_ms", wait.Milliseconds())
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func classifyStoreError(err error) error {
	if herald.ErrorCode(err) == herald.ENotFound {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrNotFound, err)
	}
	return err
}
