package herald

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxIDLength bounds every id Herald accepts from a client.
const MaxIDLength = 200

// IDPattern is the one rule for every id Herald accepts from a client: event ids (and the
// Idempotency-Key they may come from), users, organizations, event type names, webhook,
// delivery, token and key ids. Ids become part of Temporal workflow ids, which the Temporal
// SDK sends in a gRPC header that takes printable ASCII only, and of URL paths; a rule that
// allowed more would accept events that could never start (issue 11, item 5).
const IDPattern = `^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$`

// IDRule is IDPattern in words, for error details.
const IDRule = "1-200 characters: ASCII letters, digits and . _ : @ -, starting with a letter or digit"

var idPattern = regexp.MustCompile(IDPattern)

// ValidID reports whether id follows the id rule (IDPattern).
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ValidateID is nil when id follows the id rule, and a validation error naming field otherwise.
func ValidateID(field, id string) error {
	if ValidID(id) {
		return nil
	}
	return &Error{Code: EInvalid, Message: "invalid " + field, Details: []ErrorDetail{{Field: field, Message: IDRule}}}
}

// TextProblem is why s cannot be stored as text ("" when it can): PostgreSQL refuses NUL
// bytes, and bytes that are not UTF-8 would be stored as something else than what was sent.
func TextProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain NUL bytes"
	}
	return ""
}
