package seedverify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/herald-webhooks/herald/internal/payload"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Why a documented receiver refuses a request.
var (
	// ErrMissingHeader: a header the snippet reads is absent (the snippet throws or compares
	// against undefined).
	ErrMissingHeader = errors.New("seedverify: missing header")
	// ErrSignature: the signature does not match (including a length mismatch, on which
	// crypto.timingSafeEqual throws).
	ErrSignature = errors.New("seedverify: signature mismatch")
	// ErrBody: the receiver's body parser refuses the request before the check runs.
	ErrBody = errors.New("seedverify: body not accepted by the receiver's parser")
)

// Verifier is the shape of every receiver check here: the secret as shown to the user, the
// request's headers and its raw body.
type Verifier func(secret string, h http.Header, rawBody []byte) error

// ForPreset returns the documented receiver of the seed whose preset (package presets) has the
// given name, and Standard for "standard".
func ForPreset(name string) (Verifier, bool) {
	v, ok := map[string]Verifier{
		"standard": Standard, "pocket": Pocket, "meeting-platform": MeetingPlatform,
		"convo": Convo, "pocketsflow": Pocketsflow, "bigmind": Bigmind,
	}[name]
	return v, ok
}

// Pocket follows the "Signature Verification" section of Pocket's webhook page:
//
//	X-HeyPocket-Signature | HMAC-SHA256 of {timestamp}.{rawBody} using your secret
//	X-HeyPocket-Timestamp | Unix timestamp (ms) of the delivery
//
// and its verifySignature(secret, timestamp, body, signature). The page checks no tolerance.
func Pocket(secret string, h http.Header, rawBody []byte) error {
	// "Use the exact raw JSON request body bytes you received": body = rawBody.
	// The page passes the X-HeyPocket-Timestamp header as timestamp; a missing header makes the
	// template literal print "undefined", which is what a Node receiver would then sign.
	timestamp, ok := nodeHeader(h, "X-HeyPocket-Timestamp")
	if !ok {
		timestamp = "undefined"
	}
	// ... and X-HeyPocket-Signature as signature; Buffer.from(undefined) throws.
	signature, ok := nodeHeader(h, "X-HeyPocket-Signature")
	if !ok {
		return fmt.Errorf("%w: X-HeyPocket-Signature", ErrMissingHeader)
	}
	// const expected = crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
	expected := hexHMAC(secret, []byte(timestamp+"."+string(rawBody)))
	// return crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
	return timingSafeEqual([]byte(expected), []byte(signature))
}

// MeetingPlatform follows the meeting-intelligence platform's "Verification Example
// (Node.js)": verifyWebhookSignature(req.body, signature, webhookSecret), where req.body is the
// request parsed by Express's JSON body parser.
func MeetingPlatform(secret string, h http.Header, rawBody []byte) error {
	// const signature = req.headers['x-webhook-signature'];
	signature, ok := nodeHeader(h, "X-Webhook-Signature")
	// req.body: the parsed request; JSON.stringify(payload) below re-serializes it.
	stringified, err := expressJSONStringify(h, rawBody)
	if err != nil {
		return err
	}
	// const hmac = crypto.createHmac('sha256', secret);
	// const digest = hmac.update(JSON.stringify(payload)).digest('hex');
	digest := hexHMAC(secret, stringified)
	// const expectedSignature = `sha256=${digest}`;
	expectedSignature := "sha256=" + digest
	// return crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expectedSignature));
	// Buffer.from(undefined) throws.
	if !ok {
		return fmt.Errorf("%w: X-Webhook-Signature", ErrMissingHeader)
	}
	return timingSafeEqual([]byte(signature), []byte(expectedSignature))
}

// Convo follows Convo's "Signature Verification": "Verify the X-Convo-Signature header. The
// event type is in the X-Convo-Event header." The snippet does not look at X-Convo-Event; this
// port also requires it to be present and non-empty, since Convo receivers route on it.
func Convo(secret string, h http.Header, rawBody []byte) error {
	// const signature = crypto.createHmac('sha256', webhookSecret).update(rawBody).digest('hex');
	signature := hexHMAC(secret, rawBody)
	// const isValid = signature === req.headers['x-convo-signature'];
	// (undefined is never === a string: a missing header is invalid.)
	got, ok := nodeHeader(h, "X-Convo-Signature")
	if !ok {
		return fmt.Errorf("%w: X-Convo-Signature", ErrMissingHeader)
	}
	if err := timingSafeEqual([]byte(signature), []byte(got)); err != nil {
		return err
	}
	// "The event type is in the X-Convo-Event header."
	if ev, ok := nodeHeader(h, "X-Convo-Event"); !ok || ev == "" {
		return fmt.Errorf("%w: X-Convo-Event", ErrMissingHeader)
	}
	return nil
}

// Pocketsflow follows Pocketsflow's "Example endpoint (Express.js)": the body is read with
// express.raw({type: 'application/json'}), verifySignature(payload, signature, WEBHOOK_SECRET)
// checks the X-Pocketsflow-Signature header over those raw bytes ("Verify payload as raw
// bytes, not parsed JSON"), then JSON.parse(payload).
//
// verifySignature's body is on a page outside the seed; it is taken to be hex HMAC-SHA256 of
// the raw body compared in constant time.
func Pocketsflow(secret string, h http.Header, rawBody []byte) error {
	// express.raw({type: 'application/json'}): other content types leave no raw body.
	if !isJSONType(h) {
		return fmt.Errorf("%w: Content-Type is not application/json", ErrBody)
	}
	// const signature = req.headers['x-pocketsflow-signature'];
	signature, ok := nodeHeader(h, "X-Pocketsflow-Signature")
	if !ok {
		return fmt.Errorf("%w: X-Pocketsflow-Signature", ErrMissingHeader)
	}
	// const payload = req.body;
	// if (!verifySignature(payload, signature, WEBHOOK_SECRET)) -- assumed hex HMAC-SHA256.
	if err := timingSafeEqual([]byte(hexHMAC(secret, rawBody)), []byte(signature)); err != nil {
		return err
	}
	// const event = JSON.parse(payload); -- throws on anything but JSON.
	if !json.Valid(rawBody) {
		return fmt.Errorf("%w: JSON.parse fails", ErrBody)
	}
	return nil
}

// Bigmind follows Bigmind's "Node.js" example: the handler reads the X-Webhook-Signature
// header, computes payload = JSON.stringify(req.body) (req.body parsed by Express's JSON body
// parser) and calls verifyWebhook(payload, signature, secret).
func Bigmind(secret string, h http.Header, rawBody []byte) error {
	// const signature = req.headers['x-webhook-signature'];
	signature, ok := nodeHeader(h, "X-Webhook-Signature")
	// const payload = JSON.stringify(req.body);
	stringified, err := expressJSONStringify(h, rawBody)
	if err != nil {
		return err
	}
	// const hmac = crypto.createHmac('sha256', secret).update(payload).digest('hex');
	expected := hexHMAC(secret, stringified)
	// return crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(hmac));
	if !ok {
		return fmt.Errorf("%w: X-Webhook-Signature", ErrMissingHeader)
	}
	return timingSafeEqual([]byte(signature), []byte(expected))
}

// BigmindPython follows Bigmind's "Python" (Flask) example, which, unlike the Node one, signs
// the raw body: payload = request.get_data(as_text=True).
func BigmindPython(secret string, h http.Header, rawBody []byte) error {
	// signature = request.headers.get('X-Webhook-Signature') -- the first value, or None.
	signature := h.Values("X-Webhook-Signature")
	// payload = request.get_data(as_text=True) -- decoded as UTF-8, invalid bytes replaced
	// (runs of them by one U+FFFD here, which can differ from Python for invalid UTF-8; Herald's
	// bodies are always valid UTF-8).
	text := strings.ToValidUTF8(string(rawBody), "\uFFFD")
	// expected_signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
	expected := hexHMAC(secret, []byte(text))
	// return hmac.compare_digest(signature, expected_signature)
	// -- compare_digest(None, ...) raises TypeError, so does a non-ASCII str.
	if len(signature) == 0 {
		return fmt.Errorf("%w: X-Webhook-Signature", ErrMissingHeader)
	}
	for i := 0; i < len(signature[0]); i++ {
		if signature[0][i] >= 0x80 {
			return fmt.Errorf("%w: non-ASCII signature", ErrSignature)
		}
	}
	if !hmac.Equal([]byte(signature[0]), []byte(expected)) {
		return ErrSignature
	}
	return nil
}

// Standard verifies a Standard Webhooks request with the official Go library (Verify, which
// refuses timestamps more than 5 minutes away). The library only strips the "whsec_" prefix;
// for any other "xxx_" prefix the key after the last '_' is decoded here.
func Standard(secret string, h http.Header, rawBody []byte) error {
	var wh *standardwebhooks.Webhook
	var err error
	if strings.HasPrefix(secret, "whsec_") {
		wh, err = standardwebhooks.NewWebhook(secret)
	} else {
		var key []byte
		key, err = base64.StdEncoding.DecodeString(secret[strings.LastIndexByte(secret, '_')+1:])
		if err == nil {
			wh, err = standardwebhooks.NewWebhookRaw(key)
		}
	}
	if err != nil {
		return fmt.Errorf("seedverify: secret: %w", err)
	}
	if err := wh.Verify(rawBody, h); err != nil {
		return fmt.Errorf("%w: %w", ErrSignature, err)
	}
	return nil
}

// hexHMAC is createHmac('sha256', secret).update(msg).digest('hex') (Node) and
// hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest() (Python): the key is the secret
// string's UTF-8 bytes.
func hexHMAC(secret string, msg []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(msg)
	return hex.EncodeToString(mac.Sum(nil))
}

// nodeHeader is req.headers[name.toLowerCase()] in Node: absent, or the values of all the
// header's fields joined by ", " (how Node merges repeated non-standard headers).
func nodeHeader(h http.Header, name string) (string, bool) {
	vs := h.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	return strings.Join(vs, ", "), true
}

// timingSafeEqual is crypto.timingSafeEqual(a, b) as the snippets use it: buffers of different
// lengths make it throw, which fails the request like a mismatch.
func timingSafeEqual(a, b []byte) error {
	if len(a) != len(b) {
		return fmt.Errorf("%w: length %d, want %d", ErrSignature, len(b), len(a))
	}
	if !hmac.Equal(a, b) {
		return ErrSignature
	}
	return nil
}

// isJSONType is the body parsers' type check: Content-Type application/json, any case, with
// parameters.
func isJSONType(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// expressJSONStringify is JSON.stringify(req.body) where req.body comes from express.json():
// the parser only reads a JSON Content-Type in UTF-8, turns an empty body into {}, and in its
// default strict mode accepts only an object or an array at the top; it then JSON.parses the
// text, and JSON.stringify prints it back (payload.Canonical).
func expressJSONStringify(h http.Header, rawBody []byte) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, fmt.Errorf("%w: Content-Type is not application/json", ErrBody)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, fmt.Errorf("%w: charset %q", ErrBody, cs)
	}
	if len(rawBody) == 0 {
		return []byte("{}"), nil
	}
	if t := bytes.TrimLeft(rawBody, " \t\n\r"); len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return nil, fmt.Errorf("%w: strict mode accepts only an object or an array", ErrBody)
	}
	out, err := payload.Canonical(rawBody)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBody, err)
	}
	return out, nil
}
