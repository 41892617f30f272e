// Package activities holds all of Herald's I/O that workflows orchestrate: resolving an
// event's destinations, one signed HTTP attempt of a delivery, and recording outcomes.
//
// The deliver activity classifies each HTTP result into a typed Temporal application error:
// ErrHTTPStatus and ErrNetwork are retryable under the webhook's retry policy; ErrGone (410)
// and ErrWebhookInactive are not. Every attempt is recorded in PostgreSQL before the activity
// returns, so the log is complete even when the retry policy gives up.
package activities

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/metrics"
	"github.com/herald-webhooks/herald/internal/netguard"
	"github.com/herald-webhooks/herald/internal/payload"
	"github.com/herald-webhooks/herald/internal/postgres"
	"github.com/herald-webhooks/herald/internal/signing"
)

// Application error types the retry policy reads.
const (
	ErrHTTPStatus      = "http_status"
	ErrNetwork         = "network"
	ErrGone            = "gone"
	ErrWebhookInactive = "webhook_inactive"
	ErrDisabled        = "webhook_disabled" // this attempt's failure disabled the webhook
	ErrNotFound        = "not_found"
)

// MaxResponseBody is how much of a response body an attempt keeps (SPEC: 16 KiB).
const MaxResponseBody = 16 << 10

// Activities are Herald's activities; register one value with the worker.
type Activities struct {
	Store     *postgres.Store
	HTTP      *http.Client // no redirects followed; see NewHTTPClient
	Logger    *slog.Logger
	UserAgent string // default User-Agent, "Herald-Webhook/<version>" when empty
	// Temporal cancels the delivery workflows of a webhook it disables and signals attempt
	// state to delivery workflows; optional (tests of single activities leave it nil).
	Temporal client.Client
}

// NewHTTPClient returns the client deliveries use: pooled keep-alive connections, and
// redirects returned as responses (a 3xx is a failed attempt, never followed).
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 512
	tr.MaxIdleConnsPerHost = 64
	tr.IdleConnTimeout = 90 * time.Second
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Destination is one webhook an event goes to, with what the delivery workflow needs to know
// up front (no secret, no payload).
type Destination struct {
	DeliveryID     string
	WebhookID      string
	Host           string
	Owner          string
	Status         string
	Retry          herald.RetryPolicy
	TimeoutSeconds int
}

// ResolveInput names the event to fan out, and the page of its destinations to resolve.
type ResolveInput struct {
	EventID string
	// After is the cursor: the Next of the previous page ("" for the first page).
	After string
	// Limit bounds the page; 0 resolves every destination at once (event workflows started
	// before paged fan-out).
	Limit int
}

// ResolveResult lists one page of the event's destinations.
type ResolveResult struct {
	EventType    string
	Destinations []Destination
	// Next is the cursor of the following page, "" when this page was the last one.
	Next string
}

// Resolve finds the webhooks that receive the event (SPEC section 5), a page at a time,
// builds each delivery's body once and creates the delivery rows; a re-run of a page returns
// the same deliveries. A disabled webhook's delivery is created held (no workflow sends it) so
// that a replay recovers it.
func (a *Activities) Resolve(ctx context.Context, in ResolveInput) (*ResolveResult, error) {
	ev, err := a.Store.Event(ctx, in.EventID)
	if err != nil {
		return nil, classifyStoreError(err)
	}
	hooks, err := a.Store.MatchingWebhooksPage(ctx, ev, in.After, in.Limit)
	if err != nil {
		return nil, err
	}
	var user *postgres.User
	if ev.UserID != "" {
		if user, err = a.Store.User(ctx, ev.UserID); err != nil && herald.ErrorCode(err) != herald.ENotFound {
			return nil, err
		}
	}
	byID := make(map[string]*herald.Webhook, len(hooks))
	news := make([]postgres.NewDelivery, 0, len(hooks))
	for _, w := range hooks {
		body, err := Body(ev, w, user)
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError("build body", "bad_event", err)
		}
		byID[w.ID] = w
		news = append(news, postgres.NewDelivery{ID: herald.NewID("dlv_"), EventID: ev.ID, WebhookID: w.ID, Body: body,
			Held: w.Status == herald.WebhookDisabled})
	}
	ds, err := a.Store.CreateDeliveries(ctx, ev.ID, news)
	if err != nil {
		return nil, err
	}
	res := &ResolveResult{EventType: ev.Type}
	if in.Limit > 0 && len(hooks) == in.Limit {
		res.Next = hooks[len(hooks)-1].ID
	}
	for _, d := range ds {
		w, ok := byID[d.WebhookID]
		if !ok { // a delivery of an earlier run whose webhook no longer matches: it has its own workflow
			continue
		}
		res.Destinations = append(res.Destinations, Destination{
			DeliveryID: d.ID, WebhookID: w.ID, Host: hostOf(w.URL), Owner: w.Owner(), Status: d.Status,
			Retry: w.Retry, TimeoutSeconds: w.TimeoutSeconds,
		})
	}
	return res, nil
}

// Body builds the exact bytes a delivery of ev to w sends (SPEC section 6), in the body shape
// w's format names (package payload).
func Body(ev *herald.Event, w *herald.Webhook, user *postgres.User) ([]byte, error) {
	shape, ok := payload.ShapeNamed(w.Format)
	if !ok {
		return nil, fmt.Errorf("unknown payload format %q", w.Format)
	}
	m := payload.Message{EventID: ev.ID, EventType: ev.Type, Timestamp: ev.Timestamp, WebhookID: w.ID,
		Organization: ev.OrganizationID, Data: ev.Data}
	if w.OrganizationID != "" {
		m.Organization = w.OrganizationID
	}
	if ev.UserID != "" {
		m.User = &payload.User{ID: ev.UserID}
		if user != nil {
			m.User.Email, m.User.Name = user.Email, user.Name
		}
	}
	return shape.Build(m)
}

// DeliverInput names the delivery to attempt and the policy it runs under.
type DeliverInput struct {
	DeliveryID string
	Retry      herald.RetryPolicy
	// Trigger is TriggerAuto (default) or TriggerManual (a redelivery: one attempt, sent even
	// when the delivery is final or the webhook inactive).
	Trigger string
	// AttemptOffset is how many attempts ran before this activity's first one (the delivery
	// workflow makes the first attempt as a local activity and the rest under a retry policy).
	AttemptOffset int
}

// DeliverResult is the outcome of a successful attempt, or of a delivery found already final.
type DeliverResult struct {
	Status     string // the delivery's status after this activity
	Attempt    int
	StatusCode int
	DurationMS int64
}

// FailedAttempt is the detail of a failed attempt's application error: what the delivery
// workflow shows in its state query and how long it waits before the next attempt.
type FailedAttempt struct {
	Attempt       int
	StatusCode    int
	ErrorKind     string
	Error         string
	NextDelay     time.Duration // 0 when no attempt follows
	NextAttemptAt *time.Time
}

// SignalAttempt is the signal a retrying deliver activity sends its workflow after a failed
// attempt, with a FailedAttempt, so that the workflow's state query is current.
const SignalAttempt = "herald.attempt"

// Deliver makes one signed HTTP attempt of a delivery and records it. It returns a retryable
// application error for a failure the policy should retry, a non-retryable one otherwise.
func (a *Activities) Deliver(ctx context.Context, in DeliverInput) (*DeliverResult, error) {
	manual := in.Trigger == herald.TriggerManual
	// A PostgreSQL restart must not cost an attempt: before sending, wait out an unreachable
	// database for up to loadPatience instead of failing (which would count against the policy).
	var t *postgres.Target
	loadCtx, cancel := context.WithTimeout(ctx, loadPatience)
	err := a.whileUnreachable(loadCtx, func() (err error) {
		t, err = a.Store.DeliveryTarget(loadCtx, in.DeliveryID)
		return err
	})
	cancel()
	if err != nil {
		return nil, classifyStoreError(err)
	}
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
		return &DeliverResult{Status: t.DeliveryStatus}, nil // finished elsewhere (a cancel): nothing to send
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
		return nil, inactive("webhook is " + t.WebhookStatus)
	}
	trigger := herald.TriggerAuto
	if manual {
		trigger = herald.TriggerManual
	}
	// The attempt is logged, in flight, just before its request goes out, so that a worker
	// that stops before the answer leaves it in the log.
	var number int
	out := a.sendAfter(ctx, t, trigger, func(headers []byte, started time.Time) error {
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

	attempt := in.AttemptOffset + int(activity.GetInfo(ctx).Attempt)
	var next *time.Time
	var delay time.Duration
	if !out.OK && !out.Gone && attempt < in.Retry.MaxAttempts {
		delay = nextDelay(in.Retry, attempt, out.RetryAfter)
		n := out.Attempt.StartedAt.Add(delay)
		next = &n
	}
	// The request went out: keep trying to log its outcome until the activity's deadline.
	out.Attempt.Number = number // 0 when the attempt failed before its request: logged now
	err = a.whileUnreachable(ctx, func() (err error) {
		number, err = a.Store.RecordAttempt(ctx, t.DeliveryID, postgres.AttemptRecord{
			Attempt: out.Attempt, RequestHeaders: out.RequestHeaders, Succeeded: out.OK, NextAttemptAt: next,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record attempt: %w", err)
	}
	log := a.Logger.With("delivery_id", t.DeliveryID, "event_id", t.EventID, "webhook_id", t.WebhookID,
		"attempt", number, "status_code", out.Attempt.StatusCode, "duration_ms", out.Attempt.DurationMS)
	if out.OK {
		log.Debug("delivered")
		return &DeliverResult{Status: herald.DeliverySucceeded, Attempt: number, StatusCode: *out.Attempt.StatusCode, DurationMS: out.Attempt.DurationMS}, nil
	}
	failed := FailedAttempt{Attempt: number, ErrorKind: out.Attempt.ErrorKind, Error: out.Attempt.Error,
		NextDelay: delay, NextAttemptAt: next}
	if out.Attempt.StatusCode != nil {
		failed.StatusCode = *out.Attempt.StatusCode
	}
	if out.Gone {
		log.Info("endpoint answered 410 Gone; disabling the webhook")
		a.disable(ctx, t, func() (bool, []postgres.DeliveryRef, error) {
			return a.Store.DisableWebhook(ctx, t.WebhookID, t.DeliveryID, "the endpoint answered 410 Gone")
		})
		return nil, endpointFailure("endpoint answered 410 Gone", ErrGone, true, 0, failed)
	}
	log.Info("attempt failed", "error_kind", out.Attempt.ErrorKind)
	if out.Attempt.ErrorKind == ErrorKindBlocked {
		// The network policy refuses the address the URL resolves to: retrying cannot help.
		return nil, endpointFailure(out.Attempt.Error, ErrorKindBlocked, true, 0, failed)
	}
	if a.disable(ctx, t, func() (bool, []postgres.DeliveryRef, error) {
		return a.Store.DisableIfFailing(ctx, t.WebhookID, t.DeliveryID)
	}) {
		return nil, endpointFailure("webhook disabled: failing for too long", ErrDisabled, true, 0, failed)
	}
	if next != nil && activity.IsActivity(ctx) && !activity.GetInfo(ctx).IsLocalActivity {
		a.signalState(ctx, failed)
	}
	kind := ErrNetwork
	if out.Attempt.StatusCode != nil {
		kind = ErrHTTPStatus
	}
	return nil, endpointFailure(out.Attempt.Error, kind, false, delay, failed)
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
func endpointFailure(msg, kind string, nonRetryable bool, delay time.Duration, failed FailedAttempt) error {
	return temporal.NewApplicationErrorWithOptions(msg, kind, temporal.ApplicationErrorOptions{
		NonRetryable: nonRetryable, NextRetryDelay: delay, Details: []any{failed},
		Category: temporal.ApplicationErrorCategoryBenign,
	})
}

// nextDelay is the wait after the given failed attempt: the policy's backoff, or the
// endpoint's Retry-After when longer, never more than the policy's maximum interval.
func nextDelay(p herald.RetryPolicy, attempt int, retryAfter time.Duration) time.Duration {
	d := p.NextInterval(attempt)
	if retryAfter > d {
		d = retryAfter
	}
	if max := time.Duration(p.MaxIntervalSeconds * float64(time.Second)); max > 0 && d > max {
		d = max
	}
	return d
}

// disable runs a webhook-disabling store call and, when it disabled the webhook, cancels the
// workflows of the pending deliveries it held. It reports whether it disabled.
func (a *Activities) disable(ctx context.Context, t *postgres.Target, f func() (bool, []postgres.DeliveryRef, error)) bool {
	disabled, cancelled, err := f()
	if err != nil {
		a.Logger.Error("disable webhook", "webhook_id", t.WebhookID, "error", err)
		return false
	}
	if !disabled {
		return false
	}
	a.Logger.Warn("webhook disabled", "webhook_id", t.WebhookID, "held_deliveries", len(cancelled))
	if a.Temporal == nil {
		return true
	}
	// The cancel-deliveries workflow cancels the held deliveries' workflows: thousands of
	// cancel requests here would outlive the attempt's timeout, and its retry would send again.
	// Best effort: a delivery whose workflow is not cancelled stops at its next attempt, which
	// finds it held.
	if len(cancelled) > 0 && activity.IsActivity(ctx) {
		id, err := StartCancelDeliveries(ctx, a.Temporal, activity.GetInfo(ctx).TaskQueue,
			t.WebhookID, herald.DeliveryHeld, cancelled[0].UpdatedAt)
		if err != nil {
			a.Logger.Warn("start cancel-deliveries workflow", "workflow_id", id, "webhook_id", t.WebhookID, "error", err)
		}
	}
	return true
}

// signalState tells the activity's delivery workflow about a failed attempt (best effort).
func (a *Activities) signalState(ctx context.Context, f FailedAttempt) {
	if a.Temporal == nil {
		return
	}
	info := activity.GetInfo(ctx)
	if err := a.Temporal.SignalWorkflow(ctx, info.WorkflowExecution.ID, info.WorkflowExecution.RunID, SignalAttempt, f); err != nil {
		a.Logger.Debug("signal delivery state", "workflow_id", info.WorkflowExecution.ID, "error", err)
	}
}

// DeliveryWorkflowID is the ID of the automatic delivery of an event to a webhook; the
// workflows package names it, this copy avoids an import cycle.
func DeliveryWorkflowID(eventID, webhookID string) string {
	return "delivery/" + eventID + "/" + webhookID
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

// Outcome is the result of one HTTP attempt.
type Outcome struct {
	Attempt        herald.Attempt
	RequestHeaders []byte
	OK             bool          // 2xx
	Gone           bool          // 410
	RetryAfter     time.Duration // the Retry-After of a 429 or 503, 0 when none
	NotSent        error         // sendAfter's before failed: no request went out
}

// send signs the target's body for this moment and POSTs it, within the webhook's timeout.
func (a *Activities) send(ctx context.Context, t *postgres.Target, trigger string) Outcome {
	return a.sendAfter(ctx, t, trigger, nil)
}

// sendAfter is send that calls before, when not nil, with the request's recorded headers once
// the request is built and just before it is sent; an error from before sends nothing.
func (a *Activities) sendAfter(ctx context.Context, t *postgres.Target, trigger string, before func(headers []byte, started time.Time) error) (out Outcome) {
	started := time.Now()
	out = Outcome{Attempt: herald.Attempt{Trigger: trigger, StartedAt: started}}
	defer func() {
		if out.NotSent == nil {
			metrics.Attempt(trigger, out.OK, time.Since(started))
		}
	}()
	fail := func(kind string, err error) Outcome {
		out.Attempt.DurationMS = time.Since(started).Milliseconds()
		out.Attempt.ErrorKind = kind
		out.Attempt.Error = herald.RedactURLs(err.Error()) // it goes to the log, the history and the API
		return out
	}

	timeout := time.Duration(t.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(t.Body))
	if err != nil {
		return fail("invalid_url", err)
	}
	req.Header.Set("Content-Type", "application/json")
	ua := a.UserAgent
	if ua == "" {
		ua = "Herald-Webhook/" + herald.Version
	}
	req.Header.Set("User-Agent", ua)
	var custom map[string]string
	if len(t.Headers) > 0 {
		if err := json.Unmarshal(t.Headers, &custom); err != nil {
			return fail("config", fmt.Errorf("webhook headers: %w", err))
		}
	}
	for k, v := range custom {
		req.Header.Set(k, v)
	}
	if t.EventHeader != "" {
		req.Header.Set(t.EventHeader, t.EventType)
	}
	var cfg herald.Signing
	if len(t.Signing) > 0 {
		if err := json.Unmarshal(t.Signing, &cfg); err != nil {
			return fail("config", fmt.Errorf("webhook signing settings: %w", err))
		}
	}
	cfg = signing.Normalize(cfg)
	sig, err := signing.Sign(cfg, t.Secrets, t.EventID, started, t.Body)
	if err != nil {
		return fail("signing", err)
	}
	for k, v := range sig {
		req.Header.Set(k, v)
	}
	out.RequestHeaders = recordedHeaders(cfg, req.Header, t.SensitiveHeaders)
	if before != nil {
		if err := before(out.RequestHeaders, started); err != nil {
			out.NotSent = err
			return out
		}
	}

	resp, err := a.HTTP.Do(req)
	if err != nil {
		return fail(errorKind(err), err)
	}
	defer resp.Body.Close()
	// A broken body after the status line does not change the outcome: keep what was read.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	out.Attempt.DurationMS = time.Since(started).Milliseconds()
	code := resp.StatusCode
	out.Attempt.StatusCode = &code
	out.Attempt.ResponseBody = strings.ToValidUTF8(string(body), "\uFFFD")
	switch {
	case code >= 200 && code < 300:
		out.OK = true
	case code == http.StatusGone:
		out.Gone = true
		out.Attempt.ErrorKind, out.Attempt.Error = "gone", "410 Gone"
	case code >= 300 && code < 400:
		out.Attempt.ErrorKind, out.Attempt.Error = "redirect", fmt.Sprintf("%d redirect not followed", code)
	default:
		out.Attempt.ErrorKind, out.Attempt.Error = ErrHTTPStatus, fmt.Sprintf("endpoint answered %d", code)
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			out.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
	}
	return out
}

// retryAfter parses a Retry-After value: delay seconds or an HTTP date; 0 when absent or bad.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 86400)) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return min(at.Sub(now), 24*time.Hour)
	}
	return 0
}

// recordedHeaders is the request's headers for the log, with signatures, credential headers
// and the headers the user marked sensitive redacted.
func recordedHeaders(cfg herald.Signing, h http.Header, marked []string) []byte {
	red := signing.Redact(cfg, h)
	for _, name := range marked {
		if _, ok := red[http.CanonicalHeaderKey(name)]; ok {
			red.Set(name, signing.Redacted)
		}
	}
	m := make(map[string]string, len(red))
	for k := range red {
		m[k] = red.Get(k)
	}
	b, _ := json.Marshal(m)
	return b
}

// errorKind names why a request got no HTTP answer.
func errorKind(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	var netErr net.Error
	switch {
	case netguard.Blocked(err) != nil:
		return ErrorKindBlocked
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection_reset"
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &recErr):
		return "tls"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	}
	return "network"
}

// FinishInput sets a delivery's final status.
type FinishInput struct {
	DeliveryID string
	Status     string
	Manual     bool // the end of a failed redelivery: failed unless delivered before
}

// FinishDelivery records a delivery's final status (failed or cancelled) if it is still
// pending; after a failed redelivery it records failed unless an earlier attempt succeeded.
func (a *Activities) FinishDelivery(ctx context.Context, in FinishInput) error {
	if in.Manual {
		return a.Store.FinishManual(ctx, in.DeliveryID)
	}
	return a.Store.FinishDelivery(ctx, in.DeliveryID, in.Status)
}

func classifyStoreError(err error) error {
	if herald.ErrorCode(err) == herald.ENotFound {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrNotFound, err)
	}
	return err
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
