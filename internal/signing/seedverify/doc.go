// Package seedverify holds Go ports of the receiver-side signature checks that the seed
// products document (the webhook pages in the project's shared seeds). They are the receivers
// Herald's deliveries must satisfy: a webhook configured with a seed's preset must produce
// requests that the seed's own documented snippet accepts, and nothing else.
//
// Each function follows its document's snippet step by step, with the document's line quoted
// beside the step, and keeps the snippet's quirks instead of improving on them:
//
//   - Header lookups behave like Node's req.headers[...] (several values of one header are
//     joined by ", ") or, for the Python snippet, like Flask's request.headers.get (the first
//     value).
//   - A check the snippet does not make is not made. None of the five documents checks the
//     timestamp's age, so none of these functions rejects a stale request.
//   - Where a snippet would throw (crypto.timingSafeEqual on buffers of different lengths,
//     Buffer.from(undefined), hmac.compare_digest(None, ...)) the function returns an error, as
//     the handler would fail the request.
//   - Receivers that verify over JSON.stringify(req.body) (Bigmind, the meeting platform) parse
//     the body as Express's JSON body parser does (only with a JSON Content-Type, only an object
//     or array at the top) and re-serialize it with payload.Canonical, which is
//     JSON.stringify(JSON.parse(body)).
//
// Comparisons are constant-time (hmac.Equal); for Convo's `===` this accepts exactly the same
// requests.
//
// Pocketsflow's page defers the algorithm to an "Authentication & Security" page that is not
// part of the seed; [Pocketsflow] assumes hex HMAC-SHA256 of the raw body, the form the other
// four products use, and says so.
package seedverify
