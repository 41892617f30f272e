// Package payload produces JSON webhook bodies that survive a JavaScript
// round trip unchanged.
//
// Some webhook receivers verify the HMAC signature not over the raw request
// bytes but over JSON.stringify(req.body), that is, over the body after
// JavaScript has parsed and re-serialized it. Such a signature only
// verifies if the body Herald sends is a fixed point of
// JSON.stringify(JSON.parse(body)). [Canonical] rewrites any JSON text into
// that form and [Object] builds an object directly in it.
//
// # Body shapes
//
// A [Shape] is a named layout of a delivery body (a webhook's format): which part of a
// [Message] goes under which name. envelope nests the event's data under "data", flat merges
// data's members into the body (Pocket), typed is the envelope with the type under "type"
// (Pocketsflow). In a shape that merges data, the names the shape defines belong to Herald: a
// member of data with such a name is left out, so data cannot replace the signed id, type,
// time, webhook, user or organization.
//
// # Rules
//
// The output follows ECMAScript's JSON.parse and JSON.stringify exactly:
//
//   - Layout: compact, no whitespace outside strings.
//
//   - Strings: only '"', '\\' and code points below U+0020 are escaped;
//     the latter as \b \f \n \r \t or else \u00xx with lowercase hex.
//     '<', '>', '&', U+007F, U+2028, U+2029 and all other characters are
//     written as raw UTF-8 (unlike encoding/json, which escapes U+2028 and
//     U+2029 even with SetEscapeHTML(false)). Escapes in the input are
//     decoded ("\u003c" becomes "<", "\/" becomes "/", "\u00E9" becomes
//     "é", an escaped surrogate pair becomes the raw 4-byte character) and
//     re-encoded by the rules above.
//
//   - Lone surrogates: strings are decoded by this package, not by
//     encoding/json, so that an escaped UTF-16 surrogate that is not part
//     of a pair ("\ud800", or "\udc00" on its own) is kept as that code
//     unit and written back as a lowercase \ud800 escape, which is what a
//     well-formed JSON.stringify (ES2019, Node 12+) prints. encoding/json
//     would silently turn it into U+FFFD and change the signed bytes.
//
//   - Numbers: parsed to the nearest float64 (as JSON.parse does; values
//     too small underflow to 0) and printed by ECMAScript
//     Number::toString: the shortest digits that round-trip, in plain
//     decimal when 1e-7 <= |x| < 1e21 and in exponent form otherwise:
//     0.0 -> 0, -0 -> 0, 1.50 -> 1.5, 1e2 -> 100, 0.000001 -> 0.000001,
//     0.0000001 -> 1e-7, 1e21 -> 1e+21. Integers beyond 2^53 lose
//     precision exactly as in JavaScript: 12345678901234567890 ->
//     12345678901234567000.
//
//   - Objects: properties come out in JavaScript's own-property order.
//     Names that are array indices (the canonical decimal form of an
//     integer from 0 to 2^32-2: "0", "7", "42", but not "01", "-1", "1.0"
//     or "4294967295") come first in ascending numeric order, followed by
//     all other names in the order they first appeared. When a name occurs
//     more than once the last value wins but the property keeps the
//     position of its first occurrence. Names are compared after decoding,
//     so "a" and "\u0061" are the same property.
//
//   - Arrays, true, false and null are copied as they are.
//
// # Where payload is stricter than JSON.parse
//
// Canonical returns an error, rather than an output that could not be
// signed reliably, when:
//
//   - the input is not exactly one JSON value (RFC 8259 grammar, the same
//     that JSON.parse accepts), optionally surrounded by space, tab, LF or
//     CR; trailing data, a byte order mark or an empty input are errors;
//   - the input is not valid UTF-8 (a receiver would decode it with
//     replacement characters, so the signed text would differ);
//   - a number's magnitude exceeds the float64 range, such as 1e400
//     (JSON.parse gives Infinity, which JSON.stringify prints as null);
//   - arrays and objects are nested more than 512 deep.
//
// All errors start with "payload:" and name the byte offset of the problem.
package payload
