package herald

import "strings"

// Values of Signing's hmac-sha256 fields, and the defaults Normalize fills in.
const (
	EncodingHex    = "hex"
	EncodingBase64 = "base64"

	ContentBody          = "body"
	ContentTimestampBody = "timestamp.body"

	UnitSeconds      = "s"
	UnitMilliseconds = "ms"

	DefaultHMACHeader = "X-Webhook-Signature"
)

// MaxSignaturePrefixLen is the longest signature prefix Validate accepts.
const MaxSignaturePrefixLen = 32

// Normalize returns s with its defaults filled in: an empty scheme is "standard"; for
// "hmac-sha256" the header defaults to X-Webhook-Signature, the encoding to hex, the content to
// the body and the timestamp unit to seconds. Other schemes are returned as they are.
// Normalize is idempotent and never changes what Validate accepts.
func (s Signing) Normalize() Signing {
	if s.Scheme == "" {
		s.Scheme = SchemeStandard
	}
	if s.Scheme != SchemeHMAC {
		return s
	}
	if s.Header == "" {
		s.Header = DefaultHMACHeader
	}
	if s.Encoding == "" {
		s.Encoding = EncodingHex
	}
	if s.Content == "" {
		s.Content = ContentBody
	}
	if s.TimestampUnit == "" {
		s.TimestampUnit = UnitSeconds
	}
	return s
}

// Validate reports the field errors of s, each field named prefix + its JSON name (for
// example prefix "signing." gives "signing.header"). It accepts s before or after Normalize.
// The hmac-sha256 fields are refused for the other schemes rather than silently ignored.
func (s Signing) Validate(prefix string) []ErrorDetail {
	var d []ErrorDetail
	add := func(field, msg string) { d = append(d, ErrorDetail{Field: prefix + field, Message: msg}) }
	switch s.Scheme {
	case "", SchemeStandard, SchemeNone:
		for _, f := range []struct{ name, value string }{
			{"header", s.Header}, {"prefix", s.Prefix}, {"encoding", s.Encoding}, {"content", s.Content},
			{"timestamp_header", s.TimestampHeader}, {"timestamp_unit", s.TimestampUnit},
		} {
			if f.value != "" {
				add(f.name, "only applies to scheme hmac-sha256")
			}
		}
		return d
	case SchemeHMAC:
	default:
		add("scheme", "must be one of standard, hmac-sha256, none")
		return d
	}
	n := s.Normalize()
	if msg := signatureHeaderProblem(n.Header); msg != "" {
		add("header", msg)
	}
	if len(s.Prefix) > MaxSignaturePrefixLen || strings.HasPrefix(s.Prefix, " ") || !printableASCII(s.Prefix) {
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
	case signatureHeaderProblem(n.TimestampHeader) != "":
		add("timestamp_header", signatureHeaderProblem(n.TimestampHeader))
	case strings.EqualFold(n.TimestampHeader, n.Header):
		add("timestamp_header", "must differ from the signature header")
	}
	return d
}

// signatureHeaderProblem says why name cannot carry a signature or timestamp, or "" when it can.
func signatureHeaderProblem(name string) string {
	switch {
	case !ValidHeaderName(name):
		return "must be an HTTP header name: 1-100 letters, digits or !#$%&'*+.^_|~-"
	case ReservedHeader(name):
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
