package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/herald-webhooks/herald"
)

// Values of herald.Signing's hmac-sha256 fields, and the defaults Normalize fills in: the
// domain's (package herald), named here for the code that signs.
const (
	EncodingHex    = herald.EncodingHex
	EncodingBase64 = herald.EncodingBase64

	ContentBody          = herald.ContentBody
	ContentTimestampBody = herald.ContentTimestampBody

	UnitSeconds      = herald.UnitSeconds
	UnitMilliseconds = herald.UnitMilliseconds

	DefaultHMACHeader = herald.DefaultHMACHeader
)

// MaxPrefixLen is the longest signature prefix Validate accepts.
const MaxPrefixLen = herald.MaxSignaturePrefixLen

// Redacted replaces a signature header's value in logs.
const Redacted = "(redacted)"

// Reserved reports whether name (any case) is a header a webhook may not set or sign into.
func Reserved(name string) bool { return herald.ReservedHeader(name) }

// Normalize returns cfg with its defaults filled in (herald.Signing.Normalize).
func Normalize(cfg herald.Signing) herald.Signing { return cfg.Normalize() }

// Validate reports the field errors of cfg, each field named prefix + its JSON name
// (herald.Signing.Validate).
func Validate(cfg herald.Signing, prefix string) []herald.ErrorDetail { return cfg.Validate(prefix) }

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
