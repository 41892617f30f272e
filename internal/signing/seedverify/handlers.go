package seedverify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrTypeError is a JavaScript TypeError in a handler: it read a property of undefined or
// null (a member the body does not have), so the request fails with a 500.
var ErrTypeError = errors.New("seedverify: TypeError")

// Undefined is JavaScript's undefined: what a handler reads for a member the body lacks.
var Undefined = undefined{}

type undefined struct{}

func (undefined) String() string { return "undefined" }

// Call is one thing a documented handler does with a request: a function its code calls (the
// document's own name where it prints one), with the values it read from the request.
type Call struct {
	Name string
	Args []any // string, float64, bool, nil (null), Undefined, or []any
}

func (c Call) String() string { return fmt.Sprintf("%s%v", c.Name, c.Args) }

// Handler is a port of a product's documented webhook handler: verification, then what the
// handler code reads from the request. It returns the calls the handler made, or the error
// with which it answers (a failed check, or a TypeError on a missing member).
type Handler interface {
	Handle(h http.Header, rawBody []byte) ([]Call, error)
}

// HandlerFunc is a stateless Handler.
type HandlerFunc func(h http.Header, rawBody []byte) ([]Call, error)

// Handle calls f.
func (f HandlerFunc) Handle(h http.Header, rawBody []byte) ([]Call, error) { return f(h, rawBody) }

// HandlerForPreset returns the documented handler of the seed whose preset has the given name,
// holding the webhook's secret; "standard" is Herald's own README handler.
func HandlerForPreset(name, secret string) (Handler, bool) {
	switch name {
	case "standard":
		return standardHandler(secret), true
	case "pocket":
		return pocketHandler(secret), true
	case "meeting-platform":
		return meetingPlatformHandler(secret), true
	case "convo":
		return convoHandler(secret), true
	case "pocketsflow":
		return &PocketsflowHandler{Secret: secret}, true
	case "bigmind":
		return bigmindHandler(secret), true
	}
	return nil, false
}

// get is v.p1.p2... in JavaScript: a TypeError when a step reads a property of undefined or
// null, Undefined when an object lacks the member or a string, number or boolean is read.
func get(v any, path ...string) (any, error) {
	for i, p := range path {
		switch o := v.(type) {
		case undefined:
			return nil, fmt.Errorf("%w: Cannot read properties of undefined (reading '%s') at %v", ErrTypeError, p, path[:i])
		case nil:
			return nil, fmt.Errorf("%w: Cannot read properties of null (reading '%s') at %v", ErrTypeError, p, path[:i])
		case map[string]any:
			m, ok := o[p]
			if !ok {
				m = Undefined
			}
			v = m
		case []any:
			if p == "length" {
				v = float64(len(o))
				continue
			}
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n >= len(o) {
				v = Undefined
				continue
			}
			v = o[n]
		default:
			v = Undefined
		}
	}
	return v, nil
}

// reader reads several paths, keeping the first TypeError: err is checked once at the end,
// like the exception that would stop the handler at its first bad read.
type reader struct {
	root any
	err  error
}

func (r *reader) get(path ...string) any {
	if r.err != nil {
		return Undefined
	}
	v, err := get(r.root, path...)
	if err != nil {
		r.err = err
		return Undefined
	}
	return v
}

// jsonParse is JSON.parse(rawBody): JavaScript's values (numbers as float64, the last of
// duplicate names wins).
func jsonParse(_ http.Header, rawBody []byte) (any, error) {
	var v any
	if err := json.Unmarshal(rawBody, &v); err != nil {
		return nil, fmt.Errorf("%w: JSON.parse: %w", ErrBody, err)
	}
	return v, nil
}

// expressJSONBody is req.body under express.json(): the parsed body, after the parser's checks.
func expressJSONBody(h http.Header, rawBody []byte) (any, error) {
	if _, err := expressJSONStringify(h, rawBody); err != nil {
		return nil, err
	}
	return jsonParse(h, rawBody)
}

// isoTime is !isNaN(Date.parse(v)) for the ISO 8601 times these documents promise.
func isoTime(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

// verifiedReader runs a documented check, then parses the body as the handler does
// (jsonParse or expressJSONBody) for its reads.
func verifiedReader(verify Verifier, parse func(http.Header, []byte) (any, error), secret string, h http.Header, rawBody []byte) (*reader, error) {
	if err := verify(secret, h, rawBody); err != nil {
		return nil, err
	}
	body, err := parse(h, rawBody)
	if err != nil {
		return nil, err
	}
	return &reader{root: body}, nil
}

// objectValues is Object.values(v) for a plain object, in JavaScript's order for these
// bodies' names (none is an array index).
func objectValues(v any) []any {
	o, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys) // JSON.parse keeps insertion order; the bodies here have one member
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, o[k])
	}
	return out
}

// pocketHandler is a receiver written from Pocket's page. The page prints verifySignature
// (checked over the raw body with X-HeyPocket-Timestamp) and the payload structure its
// handlers read: "Every payload includes a top-level user object identifying the recording
// owner. Organization-scoped deliveries also include an organization object so the receiver
// knows which org's webhook fired", beside event, timestamp, recording, summarizations and
// transcript. It also reports the documented delivery headers (User-Agent, the timestamp
// read as "Unix timestamp (ms)") for the caller to check.
func pocketHandler(secret string) Handler {
	return HandlerFunc(func(h http.Header, rawBody []byte) ([]Call, error) {
		r, err := verifiedReader(Pocket, jsonParse, secret, h, rawBody)
		if err != nil {
			return nil, err
		}
		ts, _ := nodeHeader(h, "X-HeyPocket-Timestamp")
		ms, _ := strconv.ParseFloat(ts, 64) // Number(timestamp), milliseconds
		ua, _ := nodeHeader(h, "User-Agent")
		calls := []Call{
			{"delivery", []any{ua, ms}},
			{"event", []any{r.get("event"), isoTime(r.get("timestamp"))}},
			{"user", []any{r.get("user", "id"), r.get("user", "email")}},
		}
		// payload.organization?.id: present on organization deliveries only.
		org := r.get("organization")
		if org != Undefined {
			org = r.get("organization", "id")
		}
		calls = append(calls, Call{"organization", []any{org}},
			Call{"recording", []any{r.get("recording", "id"), r.get("recording", "title")}})
		switch r.get("event") {
		case "summary.completed":
			// const [s] = Object.values(payload.summarizations); s.v2.summary.markdown
			var first any = Undefined
			if vs := objectValues(r.get("summarizations")); len(vs) > 0 {
				first = vs[0]
			}
			sub := &reader{root: first}
			calls = append(calls, Call{"summary", []any{sub.get("v2", "summary", "title"), r.get("transcript", "length")}})
			if sub.err != nil {
				return nil, sub.err
			}
		}
		return calls, r.err
	})
}

// meetingPlatformHandler is the meeting platform's "In your webhook handler": verify
// JSON.stringify(req.body) against X-Webhook-Signature, then read what "All webhook payloads
// include": event, timestamp (ISO 8601) and data, here data.recording for recording events
// as in its example payloads.
func meetingPlatformHandler(secret string) Handler {
	return HandlerFunc(func(h http.Header, rawBody []byte) ([]Call, error) {
		r, err := verifiedReader(MeetingPlatform, expressJSONBody, secret, h, rawBody)
		if err != nil {
			return nil, err
		}
		event := r.get("event")
		calls := []Call{{"event", []any{event, isoTime(r.get("timestamp"))}}}
		if e, ok := event.(string); ok && strings.HasPrefix(e, "recording.") {
			calls = append(calls, Call{"recording", []any{r.get("data", "recording", "id"), r.get("data", "recording", "title"),
				r.get("data", "recording", "status")}})
		} else {
			calls = append(calls, Call{"data", []any{r.get("data") != Undefined}})
		}
		return calls, r.err
	})
}

// convoFields is Convo's "Events | Data fields" table.
var convoFields = map[string][]string{
	"conversation.created":            {"conversationId"},
	"conversation.updated":            {"conversationId", "title"},
	"conversation.keypoints.ready":    {"conversationId", "title"},
	"conversation.summary.ready":      {"conversationId", "title", "sectionCount"},
	"conversation.action_items.ready": {"conversationId", "actionItemCount"},
	"conversation.feedback.ready":     {"conversationId", "overallScore"},
	"conversation.shared":             {"conversationId", "shareUrl"},
	"conversation.deleted":            {"conversationId"},
	"transcript.ready":                {"conversationId", "segmentCount"},
	"transcript.failed":               {"conversationId", "error"},
	"webhook.test":                    {"message"},
}

// convoHandler is Convo's verification over the raw body, then a handler that routes on "The
// event type is in the X-Convo-Event header" and reads the event's documented data fields from
// the body's data, with the body's event and timestamp ("Payload Format").
func convoHandler(secret string) Handler {
	return HandlerFunc(func(h http.Header, rawBody []byte) ([]Call, error) {
		r, err := verifiedReader(Convo, jsonParse, secret, h, rawBody)
		if err != nil {
			return nil, err
		}
		routed, _ := nodeHeader(h, "X-Convo-Event")
		calls := []Call{{"route", []any{routed}}, {"event", []any{r.get("event"), isoTime(r.get("timestamp"))}}}
		var args []any
		for _, f := range convoFields[routed] {
			args = append(args, r.get("data", f))
		}
		calls = append(calls, Call{"data", args})
		return calls, r.err
	})
}

// PocketsflowHandler is Pocketsflow's "Example endpoint (Express.js)" with the processing of
// its use cases and its idempotency advice: verify the raw body, const event =
// JSON.parse(payload), console.log('Received event:', event.type), skip an event whose id is
// in processedEvents, then by event.type: grantCourseAccess(customer.email, product.id) from
// `const { customer, product } = event.data`, sendEmail to event.data.customer.email,
// analytics.track with event.data.amount and event.data.product.id (order.completed);
// crm.createContact (customer.created); revokeSubscriptionAccess
// (customer.subscription.deleted); and processedEvents.add(event.id).
type PocketsflowHandler struct {
	Secret string

	mu        sync.Mutex
	processed map[any]bool // processedEvents, a Set keyed by event.id
}

// Handle runs the handler on one request.
func (p *PocketsflowHandler) Handle(h http.Header, rawBody []byte) ([]Call, error) {
	r, err := verifiedReader(Pocketsflow, jsonParse, p.Secret, h, rawBody)
	if err != nil {
		return nil, err
	}
	calls := []Call{{"console.log", []any{"Received event:", r.get("type")}}}
	id := r.get("id")
	key, hashable := setKey(id)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.processed == nil {
		p.processed = map[any]bool{}
	}
	if hashable && p.processed[key] {
		return append(calls, Call{"duplicate", []any{id}}), r.err // if (processedEvents.has(event.id)) return;
	}
	switch r.get("type") {
	case "order.completed":
		// const { customer, product } = event.data; -- throws when data is undefined or null
		if d := r.get("data"); d == Undefined || d == nil {
			r.get("data", "customer")
		}
		calls = append(calls,
			Call{"grantCourseAccess", []any{r.get("data", "customer", "email"), r.get("data", "product", "id")}},
			Call{"sendEmail", []any{r.get("data", "customer", "email"), "welcome"}},
			Call{"analytics.track", []any{"Purchase Completed", r.get("data", "amount"), r.get("data", "product", "id")}})
	case "customer.created":
		calls = append(calls, Call{"crm.createContact", []any{r.get("data", "customer", "email"), "pocketsflow"}})
	case "customer.subscription.deleted":
		calls = append(calls, Call{"revokeSubscriptionAccess", []any{r.get("data", "customer", "email")}})
	}
	if r.err != nil {
		return nil, r.err
	}
	if hashable {
		p.processed[key] = true
	}
	return append(calls, Call{"processedEvents.add", []any{id}}), nil
}

// setKey is how a Set compares id: primitives by value; an object or array is only ever equal
// to itself, so a parsed one never matches an earlier one.
func setKey(id any) (any, bool) {
	switch id.(type) {
	case string, float64, bool, nil, undefined:
		return id, true
	}
	return nil, false
}

// bigmindHandler is Bigmind's Node handler (verify JSON.stringify(req.body), then
// console.log('Event:', req.body.event)) reading what its payload structure documents:
// webhook_id, timestamp, and data's meeting_id, session_id, the transcript or summary "in
// HTML format" and the speakers.
func bigmindHandler(secret string) Handler {
	return HandlerFunc(func(h http.Header, rawBody []byte) ([]Call, error) {
		r, err := verifiedReader(Bigmind, expressJSONBody, secret, h, rawBody)
		if err != nil {
			return nil, err
		}
		calls := []Call{
			{"console.log", []any{"Event:", r.get("event")}},
			{"webhook", []any{r.get("webhook_id"), isoTime(r.get("timestamp"))}},
			{"meeting", []any{r.get("data", "meeting_id"), r.get("data", "session_id")}},
		}
		switch r.get("event") {
		case "transcription_created":
			calls = append(calls, Call{"transcript", []any{r.get("data", "transcript")}})
		case "summary_created":
			calls = append(calls, Call{"summary", []any{r.get("data", "summary")}})
		}
		calls = append(calls, Call{"speaker", []any{r.get("data", "speakers", "0", "name"), r.get("data", "speakers", "0", "email")}})
		return calls, r.err
	})
}

// standardHandler is Herald's README receiver: the Standard Webhooks library's verify, then
// the envelope's id, event and data.
func standardHandler(secret string) Handler {
	return HandlerFunc(func(h http.Header, rawBody []byte) ([]Call, error) {
		r, err := verifiedReader(Standard, jsonParse, secret, h, rawBody)
		if err != nil {
			return nil, err
		}
		calls := []Call{{"event", []any{r.get("id"), r.get("event"), r.get("data") != Undefined}}}
		return calls, r.err
	})
}

// NewCall is Call{name, args}.
func NewCall(name string, args ...any) Call { return Call{Name: name, Args: args} }
