package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/herald-webhooks/herald"
)

// Values of herald.Signing's hmac-sha256 fields, and the defaults Normalize fills in.
const (
	EncodingHex    = "hex"
	EncodingBase64 = "base64"

	ContentBody          = "body"
	ContentTimestampBody = "timestamp.body"

	UnitSeconds      = "s"
	UnitMilliseconds = "ms"

	DefaultHMACHeader = "X-Webhook-Signature"
)

// MaxPrefixLen is the longest signature prefix Validate accepts.
const MaxPrefixLen = 32

// Redacted replaces a signature header's value in logs.
const Redacted = "(redacted)"

// headerToken is an HTTP field name (RFC 9110 token) of at most 100 characters.
var headerToken = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]{1,100}$`)

// reserved are header names a webhook may not choose: the transport sets them, or the
// standard scheme owns them.
var reserved = map[string]bool{
	"content-type": true, "content-length": true, "host": true, "transfer-encoding": true, "connection": true,
	HeaderID: true, HeaderTimestamp: true, HeaderSignature: true,
}

// Reserved reports whether name (any case) is a header a webhook may not set or sign into.
func Reserved(name string) bool { return reserved[strings.ToLower(name)] }

// Normalize returns cfg with its defaults filled in: an empty scheme is "standard"; for
// "hmac-sha256" the header defaults to X-Webhook-Signature, the encoding to hex, the content to
// the body and the timestamp unit to seconds. Other schemes are returned as they are.
// Normalize is idempotent and never changes what Validate accepts.
func Normalize(cfg herald.Signing) herald.Signing {
	if cfg.Scheme == "" {
		cfg.Scheme = herald.SchemeStandard
	}
	if cfg.Scheme != herald.SchemeHMAC {
		return cfg
	}
	if cfg.Header == "" {
		cfg.Header = DefaultHMACHeader
	}
	if cfg.Encoding == "" {
		cfg.Encoding = EncodingHex
	}
	if cfg.Content == "" {
		cfg.Content = ContentBody
	}
	if cfg.TimestampUnit == "" {
		cfg.TimestampUnit = UnitSeconds
	}
	return cfg
}

// Validate reports the field errors of cfg, each field named prefix + its JSON name (for
// example prefix "signing." gives "signing.header"). It accepts cfg before or after Normalize.
// The hmac-sha256 fields are refused for the other schemes rather than silently ignored.
func Validate(cfg herald.Signing, prefix string) []herald.ErrorDetail {
	var d []herald.ErrorDetail
	add := func(field, msg string) { d = append(d, herald.ErrorDetail{Field: prefix + field, Message: msg}) }
	switch cfg.Scheme {
	case "", herald.SchemeStandard, herald.SchemeNone:
		for _, f := range []struct{ name, value string }{
			{"header", cfg.Header}, {"prefix", cfg.Prefix}, {"encoding", cfg.Encoding}, {"content", cfg.Content},
			{"timestamp_header", cfg.TimestampHeader}, {"timestamp_unit", cfg.TimestampUnit},
		} {
			if f.value != "" {
				add(f.name, "only applies to scheme hmac-sha256")
			}
		}
		return d
	case herald.SchemeHMAC:
	default:
		add("scheme", "must be one of standard, hmac-sha256, none")
		return d
	}
	n := Normalize(cfg)
	if msg := headerProblem(n.Header); msg != "" {
		add("header", msg)
	}
	if len(cfg.Prefix) > MaxPrefixLen || strings.HasPrefix(cfg.Prefix, " ") || !printableASCII(cfg.Prefix) {
		add("prefix", "must be at most 32 printable ASCII characters, not starting with a space")
	}
	if n.Encoding != EncodingHex && n.Encoding != EncodingBase64 {
		add("encoding", "must be hex or base64")
	}
	if n.Content != ContentBody && n.Content != ContentTimestampBody {
		add("content", "must be body or timestamp.body")
	}
	if n.TimestampUnit != UnitSeconds && n.TimestampUnit != UnitMilliseconds {
		add("timestamp_unit", "must be s or ms")
	}
	switch {
	case n.TimestampHeader == "" && n.Content == ContentTimestampBody:
		add("timestamp_header", "is required when content is timestamp.body: the receiver needs the signed timestamp")
	case n.TimestampHeader == "":
	case headerProblem(n.TimestampHeader) != "":
		add("timestamp_header", headerProblem(n.TimestampHeader))
	case strings.EqualFold(n.TimestampHeader, n.Header):
		add("timestamp_header", "must differ from the signature header")
	}
	return d
}

// headerProblem says why name cannot carry a signature or timestamp, or "" when it can.
func headerProblem(name string) string {
	switch {
	case !headerToken.MatchString(name):
		return "must be an HTTP header name: 1-100 letters, digits or !#$%&'*+.^_|~-"
	case Reserved(name):
		return "is a reserved header"
	}
	return ""
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Sign returns the headers to set on one attempt of a delivery under cfg. msgID is the event id
// (the same on every attempt), at the attempt's start time, body the bytes exactly as sent.
// secrets lists the webhook's secrets newest first: the standard scheme signs with each of them,
// hmac-sha256 with the first only, and none returns an empty map. An invalid cfg and a missing
// or malformed secret are errors; the error never contains a secret.
func Sign(cfg herald.Signing, secrets []string, msgID string, at time.Time, body []byte) (map[string]string, error) {
	if d := Validate(cfg, ""); len(d) > 0 {
		return nil, fmt.Errorf("signing: invalid configuration: %s %s", d[0].Field, d[0].Message)
	}
	cfg = Normalize(cfg)
	if cfg.Scheme == herald.SchemeNone {
		return map[string]string{}, nil
	}
	if len(secrets) == 0 {
		return nil, errors.New("signing: no secret")
	}
	for _, s := range secrets {
		if s == "" {
			return nil, errors.New("signing: empty secret")
		}
	}
	if cfg.Scheme == herald.SchemeStandard {
		return Standard(secrets, msgID, at, body)
	}
	return hmacHeaders(cfg, secrets[0], at, body), nil
}

// hmacHeaders returns the headers of the hmac-sha256 scheme for one secret; cfg is normalized
// and valid.
func hmacHeaders(cfg herald.Signing, secret string, at time.Time, body []byte) map[string]string {
	ts := strconv.FormatInt(at.Unix(), 10)
	if cfg.TimestampUnit == UnitMilliseconds {
		ts = strconv.FormatInt(at.UnixMilli(), 10)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	if cfg.Content == ContentTimestampBody {
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
	}
	mac.Write(body)
	sum := mac.Sum(nil)
	var sig string
	if cfg.Encoding == EncodingBase64 {
		sig = base64.StdEncoding.EncodeToString(sum)
	} else {
		sig = hex.EncodeToString(sum)
	}
	h := map[string]string{cfg.Header: cfg.Prefix + sig}
	if cfg.TimestampHeader != "" {
		h[cfg.TimestampHeader] = ts
	}
	return h
}

// SignatureHeaders names the headers whose values are signatures under cfg (none for "none").
// The attempt log shows them as [Redacted].
func SignatureHeaders(cfg herald.Signing) []string {
	switch cfg = Normalize(cfg); cfg.Scheme {
	case herald.SchemeStandard:
		return []string{HeaderSignature}
	case herald.SchemeHMAC:
		return []string{cfg.Header}
	}
	return nil
}

// credentialWords are the words whose presence in a header name marks its value a credential.
var credentialWords = []string{"token", "key", "secret", "signature", "password"}

// CredentialHeader reports whether a header's name says its value is a credential:
// Authorization, Cookie, Proxy-Authorization, or a name containing token, key, secret,
// signature or password (X-Api-Key, X-Auth-Token), in any case.
func CredentialHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "cookie", "proxy-authorization":
		return true
	}
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// Redact returns a copy of h with the values of cfg's signature headers and of every
// [CredentialHeader] (a receiver's Authorization among the custom headers) replaced by
// [Redacted]. The standard scheme's webhook-signature is always redacted, whatever cfg says,
// so that a configuration change between sign and log cannot leak it.
func Redact(cfg herald.Signing, h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		return nil
	}
	for _, name := range append(SignatureHeaders(cfg), HeaderSignature) {
		if _, ok := out[http.CanonicalHeaderKey(name)]; ok {
			out.Set(name, Redacted)
		}
	}
	for name := range out {
		if CredentialHeader(name) {
			out.Set(name, Redacted)
		}
	}
	return out
}
