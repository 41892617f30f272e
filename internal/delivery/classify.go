package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/herald-webhooks/herald/internal/netguard"
)

// Error kinds of a failed attempt, as the attempt log and the API show them.
const (
	KindHTTPStatus = "http_status" // an answer other than 2xx, 3xx and 410
	KindGone       = "gone"        // 410 Gone
	KindRedirect   = "redirect"    // a 3xx, not followed
	KindBlocked    = "blocked"     // the network policy refused the address the URL resolves to
	KindTimeout    = "timeout"     // no answer within the webhook's timeout
	KindDNS        = "dns"
	KindRefused    = "refused" // nothing listens on the port
	KindReset      = "connection_reset"
	KindTLS        = "tls"
	KindNetwork    = "network"     // any other failure to get an answer
	KindInvalidURL = "invalid_url" // no request could be built from the URL
	KindConfig     = "config"      // the webhook's stored headers or signing settings do not decode
	KindSigning    = "signing"     // the body could not be signed (no secret, a bad secret)
)

// MaxResponseBody is how much of a response body an attempt keeps (SPEC: 16 KiB).
const MaxResponseBody = 16 << 10

// maxRetryAfter caps an endpoint's Retry-After: a day, however far it asks.
const maxRetryAfter = 24 * time.Hour

// verdict is what an HTTP answer means for the delivery.
type verdict struct {
	ok, gone   bool
	kind, text string        // the error kind and text of a failure
	retryAfter time.Duration // the wait a 429 or 503 asked for, 0 when none
}

// judge classifies an answer with the given status code and headers at now (SPEC section 6):
// 2xx delivered, 410 gone, 3xx a redirect not followed, anything else a retryable failure
// whose Retry-After counts when the status is 429 or 503.
func judge(code int, h http.Header, now time.Time) verdict {
	switch {
	case code >= 200 && code < 300:
		return verdict{ok: true}
	case code == http.StatusGone:
		return verdict{gone: true, kind: KindGone, text: "410 Gone"}
	case code >= 300 && code < 400:
		return verdict{kind: KindRedirect, text: fmt.Sprintf("%d redirect not followed", code)}
	}
	v := verdict{kind: KindHTTPStatus, text: fmt.Sprintf("endpoint answered %d", code)}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		v.retryAfter = retryAfter(h.Get("Retry-After"), now)
	}
	return v
}

// retryAfter parses a Retry-After value: delay seconds or an HTTP date, at most a day; 0 when
// absent, negative, past or unparsable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, int(maxRetryAfter/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return min(at.Sub(now), maxRetryAfter)
	}
	return 0
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
		return KindBlocked
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.As(err, &dnsErr):
		return KindDNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return KindReset
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &recErr):
		return KindTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	}
	return KindNetwork
}
