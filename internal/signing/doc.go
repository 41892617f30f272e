// Package signing computes webhook signatures as pure functions of a webhook's signing
// configuration, its secrets, a message id, the attempt's time and the body bytes, and
// generates the secrets they use. Nothing here does I/O or reads the clock: the caller passes
// the attempt's start time, so every attempt is signed with its own timestamp.
//
// # Schemes
//
// [Sign] supports the schemes of [herald.Signing]:
//
//   - "standard" (the default, also for an empty scheme): Standard Webhooks
//     (https://www.standardwebhooks.com). Headers webhook-id (the message id), webhook-timestamp
//     (Unix seconds) and webhook-signature "v1,<base64 HMAC-SHA256>" over
//     "{msg id}.{timestamp}.{body}". The key is the base64 text after the secret's prefix
//     (everything after the last '_', so "whsec_", "wsec_" or any other "xxx_" prefix works).
//     During a rotation every secret signs and the signatures are joined by single spaces; a
//     Standard Webhooks receiver accepts a request when any of them matches its key.
//
//   - "hmac-sha256": one HMAC-SHA256, hex (default) or base64, in Header (default
//     X-Webhook-Signature) after an optional Prefix such as "sha256=". The signed content is the
//     body ("body", the default) or "{timestamp}.{body}" ("timestamp.body"), the timestamp in
//     Unix seconds ("s", the default) or milliseconds ("ms"); when TimestampHeader is set the same
//     timestamp is sent in it. The key is the secret string's bytes exactly as shown to the user,
//     prefix included (Pocket, Convo, Bigmind and the meeting platform all pass the secret
//     string to createHmac as it is).
//
//     Rotation: receivers of this scheme compare one signature and cannot pick among several,
//     so only the first secret of the list (the newest) signs. A rotation therefore takes
//     effect for such a receiver at once; the grace period with several secrets only helps
//     Standard Webhooks receivers.
//
//     A "timestamp.body" configuration must name TimestampHeader: the receiver has to learn the
//     signed timestamp from somewhere, and the body's own timestamp is the event's, not the
//     attempt's. A "body" configuration may still send a timestamp header.
//
//   - "none": no signature headers (legacy webhooks without a secret).
//
// [Normalize] fills the defaults, [Validate] reports field errors in the JSON error model's
// terms, and [SignatureHeaders] and [Redact] name the headers whose values must not be logged.
package signing
