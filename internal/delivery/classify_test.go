package delivery

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/internal/netguard"
)

func TestJudge(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	retryIn := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	tests := []struct {
		name       string
		code       int
		header     http.Header
		ok, gone   bool
		kind, text string
		retryAfter time.Duration
	}{
		{name: "200 is delivered", code: 200, ok: true},
		{name: "204 is delivered", code: 204, ok: true},
		{name: "299 is delivered", code: 299, ok: true},
		{name: "410 is gone", code: 410, gone: true, kind: KindGone, text: "410 Gone"},
		{name: "301 is a redirect not followed", code: 301, kind: KindRedirect, text: "301 redirect not followed"},
		{name: "302 is a redirect not followed", code: 302, kind: KindRedirect, text: "302 redirect not followed"},
		{name: "304 is a redirect not followed", code: 304, kind: KindRedirect, text: "304 redirect not followed"},
		{name: "400 is a retryable status", code: 400, kind: KindHTTPStatus, text: "endpoint answered 400"},
		{name: "404 is a retryable status, not gone", code: 404, kind: KindHTTPStatus, text: "endpoint answered 404"},
		{name: "500 is a retryable status", code: 500, kind: KindHTTPStatus, text: "endpoint answered 500"},
		{name: "a 429's Retry-After counts", code: 429, header: retryIn("120"), kind: KindHTTPStatus,
			text: "endpoint answered 429", retryAfter: 2 * time.Minute},
		{name: "a 503's Retry-After counts", code: 503, header: retryIn(now.Add(time.Hour).Format(http.TimeFormat)),
			kind: KindHTTPStatus, text: "endpoint answered 503", retryAfter: time.Hour},
		{name: "a 500's Retry-After does not count", code: 500, header: retryIn("120"), kind: KindHTTPStatus,
			text: "endpoint answered 500"},
		{name: "a 429 without Retry-After asks for no wait", code: 429, kind: KindHTTPStatus, text: "endpoint answered 429"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := judge(tt.code, tt.header, now)
			want := verdict{ok: tt.ok, gone: tt.gone, kind: tt.kind, text: tt.text, retryAfter: tt.retryAfter}
			if got != want {
				t.Fatalf("judge(%d) = %+v, want %+v", tt.code, got, want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{"seconds are a delay", "120", 2 * time.Minute},
		{"seconds may be surrounded by spaces", "  30 ", 30 * time.Second},
		{"zero seconds is no wait", "0", 0},
		{"negative seconds are ignored", "-5", 0},
		{"seconds beyond a day are capped at a day", "100000", 24 * time.Hour},
		{"an HTTP date is the time until it", date(90 * time.Second), 90 * time.Second},
		{"an HTTP date in the RFC 850 form counts too", now.Add(time.Hour).Format("Monday, 02-Jan-06 15:04:05 GMT"), time.Hour},
		{"a date beyond a day is capped at a day", date(72 * time.Hour), 24 * time.Hour},
		{"a past date is no wait", date(-time.Hour), 0},
		{"now is no wait", date(0), 0},
		{"absent is no wait", "", 0},
		{"garbage is no wait", "soon", 0},
		{"fractional seconds are not a delay", "1.5", 0},
		{"a date in a foreign format is no wait", now.Add(time.Hour).Format(time.RFC3339), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryAfter(tt.value, now); got != tt.want {
				t.Fatalf("retryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

// TestErrorKind names failures that cannot all be provoked on loopback (DNS, TLS host names,
// resets at odd moments) by the errors net/http wraps them in; TestSend provokes the ones
// that can be.
func TestErrorKind(t *testing.T) {
	urlErr := func(err error) error { return &url.Error{Op: "Post", URL: "https://example.com/hook", Err: err} }
	opErr := func(err error) error {
		return urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: err}})
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"an address the policy refuses is blocked", opErr(&netguard.BlockedError{Address: "10.0.0.1", Reason: netguard.ReasonPrivate}), KindBlocked},
		{"a passed deadline is a timeout", urlErr(context.DeadlineExceeded), KindTimeout},
		{"a net.Error that timed out is a timeout", urlErr(&net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}), KindTimeout},
		{"a failed lookup is dns", urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nowhere.example", IsNotFound: true}}), KindDNS},
		{"a refused connection is refused", opErr(syscall.ECONNREFUSED), KindRefused},
		{"a reset connection is connection_reset", opErr(syscall.ECONNRESET), KindReset},
		{"a connection closed before the answer is connection_reset", urlErr(io.EOF), KindReset},
		{"a truncated answer is connection_reset", urlErr(fmt.Errorf("read: %w", io.ErrUnexpectedEOF)), KindReset},
		{"an unknown certificate authority is tls", urlErr(x509.UnknownAuthorityError{}), KindTLS},
		{"a certificate for another host is tls", urlErr(x509.HostnameError{Host: "example.com", Certificate: &x509.Certificate{}}), KindTLS},
		{"anything else is network", urlErr(errors.New("something else")), KindNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorKind(tt.err); got != tt.want {
				t.Fatalf("errorKind(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
