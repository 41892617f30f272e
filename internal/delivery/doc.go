// Package delivery is Herald's delivery core: what one attempt of a delivery does and what its
// result means, with no Temporal and no PostgreSQL. The deliver activity and the API's test
// sends both call it, so an attempt is built, signed, sent and judged one way.
//
// # One attempt
//
// [Sender.Send] makes one attempt of a [Request]: it POSTs the delivery's body with
// Content-Type application/json, the User-Agent, the webhook's custom headers, its event header
// and the signature headers of its signing scheme (package signing, signed at the attempt's
// start), within the webhook's HTTP timeout (30 s when unset), with an HTTP client that does
// not follow redirects ([NewHTTPClient], or [NewGuardedHTTPClient] whose connections a network
// policy checks after DNS). It returns an [Outcome]: the attempt as the log records it (status
// code, duration, error kind and text, the first [MaxResponseBody] bytes of the response body)
// and the request's headers with signatures and credentials redacted.
//
// # What a result means (SPEC section 6)
//
//   - 2xx: delivered.
//   - 410 Gone: the endpoint is gone; no attempt follows and the webhook is disabled.
//   - 3xx: a failure ("redirect"), never followed; retried like any other failure.
//   - Any other status: a failure ("http_status"), retried. A 429 or 503 may carry Retry-After
//     (seconds, or an HTTP date), which lengthens the next wait up to a day.
//   - No answer: a failure named for its cause ("timeout", "dns", "refused",
//     "connection_reset", "tls", "network"); "blocked" when the network policy refused the
//     address, which retrying cannot change.
//
// # The next attempt
//
// [NextDelay] is the wait after a failed attempt: the retry policy's backoff
// ([herald.RetryPolicy.NextInterval]) or the endpoint's Retry-After when longer, never more
// than the policy's maximum interval. [Outcome.Next] decides whether an attempt follows at all,
// and [Window] bounds how long the remaining attempts of a delivery may take.
package delivery
