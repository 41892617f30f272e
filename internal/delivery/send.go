package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/metrics"
	"github.com/herald-webhooks/herald/internal/signing"
)

// DefaultTimeout is an attempt's HTTP timeout when the webhook sets none.
const DefaultTimeout = 30 * time.Second

// Request is one attempt to make: what to send where, signed how. Headers and Signing are the
// webhook's settings as stored (JSON); Send decodes them, and one that does not decode is a
// failed attempt of kind "config", in the log like any other.
type Request struct {
	URL       string
	Body      []byte // the delivery's bytes, the same on every attempt
	EventID   string // the message ID signatures cover (webhook-id)
	EventType string
	// EventHeader, when set, is the header that carries EventType.
	EventHeader string
	// Headers is the JSON object of the webhook's custom headers, sensitive values opened;
	// SensitiveHeaders names the ones whose values the recorded headers redact.
	Headers          []byte
	SensitiveHeaders []string
	Signing          []byte         // JSON of the webhook's herald.Signing; empty for the default scheme
	Secrets          []string       // the secrets that sign now, newest first
	TimeoutSeconds   int            // the webhook's HTTP timeout; DefaultTimeout when 0
	Trigger          herald.Trigger // herald.TriggerAuto, TriggerManual or TriggerTest
}

// RequestFor is the attempt of the stored target t with the given trigger.
func RequestFor(t *herald.Target, trigger herald.Trigger) Request {
	return Request{URL: t.URL, Body: t.Body, EventID: t.EventID, EventType: t.EventType,
		EventHeader: t.EventHeader, Headers: t.Headers, SensitiveHeaders: t.SensitiveHeaders, Signing: t.Signing,
		Secrets: t.Secrets, TimeoutSeconds: t.TimeoutSeconds, Trigger: trigger}
}

// Outcome is the result of one attempt.
type Outcome struct {
	Attempt        herald.Attempt // as the log records it; Number is left to the log
	RequestHeaders []byte         // JSON of the request's headers, signatures and credentials redacted
	OK             bool           // 2xx
	Gone           bool           // 410
	RetryAfter     time.Duration  // the Retry-After of a 429 or 503, 0 when none
	NotSent        error          // SendAfter's before failed: no request went out
}

// StatusCode is the answer's status code, 0 when there was no answer.
func (o Outcome) StatusCode() int {
	if o.Attempt.StatusCode == nil {
		return 0
	}
	return *o.Attempt.StatusCode
}

// Sender makes attempts. Its zero value is not usable: HTTP must be set.
type Sender struct {
	HTTP      *http.Client // no redirects followed; see NewHTTPClient and NewGuardedHTTPClient
	UserAgent string       // default User-Agent, "Herald-Webhook/<version>" when empty
}

// Send signs r's body for this moment and POSTs it, within the webhook's timeout. It never
// fails: a request that could not be made or got no answer is an Outcome with an error kind.
func (s *Sender) Send(ctx context.Context, r Request) Outcome {
	return s.SendAfter(ctx, r, nil)
}

// SendAfter is Send that calls before, when not nil, with the request's recorded headers once
// the request is built and just before it is sent; an error from before sends nothing and is
// the Outcome's NotSent. The deliver activity logs the attempt, in flight, there.
func (s *Sender) SendAfter(ctx context.Context, r Request, before func(headers []byte, started time.Time) error) (out Outcome) {
	started := time.Now()
	out = Outcome{Attempt: herald.Attempt{Trigger: r.Trigger, StartedAt: started}}
	defer func() {
		if out.NotSent == nil {
			metrics.Attempt(string(r.Trigger), out.OK, time.Since(started))
		}
	}()
	fail := func(kind string, err error) Outcome {
		out.Attempt.DurationMS = time.Since(started).Milliseconds()
		out.Attempt.ErrorKind = kind
		out.Attempt.Error = herald.RedactURLs(err.Error()) // it goes to the log, the history and the API
		return out
	}

	timeout := time.Duration(r.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return fail(KindInvalidURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	ua := s.UserAgent
	if ua == "" {
		ua = "Herald-Webhook/" + herald.Version
	}
	req.Header.Set("User-Agent", ua)
	var custom map[string]string
	if len(r.Headers) > 0 {
		if err := json.Unmarshal(r.Headers, &custom); err != nil {
			return fail(KindConfig, fmt.Errorf("webhook headers: %w", err))
		}
	}
	for k, v := range custom {
		req.Header.Set(k, v)
	}
	if r.EventHeader != "" {
		req.Header.Set(r.EventHeader, r.EventType)
	}
	var cfg herald.Signing
	if len(r.Signing) > 0 {
		if err := json.Unmarshal(r.Signing, &cfg); err != nil {
			return fail(KindConfig, fmt.Errorf("webhook signing settings: %w", err))
		}
	}
	cfg = signing.Normalize(cfg)
	sig, err := signing.Sign(cfg, r.Secrets, r.EventID, started, r.Body)
	if err != nil {
		return fail(KindSigning, err)
	}
	for k, v := range sig {
		req.Header.Set(k, v)
	}
	out.RequestHeaders = recordedHeaders(cfg, req.Header, r.SensitiveHeaders)
	if before != nil {
		if err := before(out.RequestHeaders, started); err != nil {
			out.NotSent = err
			return out
		}
	}

	resp, err := s.HTTP.Do(req)
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
	v := judge(code, resp.Header, time.Now())
	out.OK, out.Gone, out.RetryAfter = v.ok, v.gone, v.retryAfter
	out.Attempt.ErrorKind, out.Attempt.Error = v.kind, v.text
	return out
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
