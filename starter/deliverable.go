package starter

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/delivery"
	"github.com/herald-webhooks/herald/internal/payload"
)

// Undeliverable is why no delivery could carry data (nil when every one can), as a detail on
// field and the JSON path below it. It builds a body in every format a webhook may name with
// the code a delivery runs (delivery.Body), so that data no body can carry (a number beyond
// a double, nesting deeper than the body builder allows, text that is not UTF-8) is refused at
// publish instead of being accepted and then failing in the event workflow with no delivery.
// The API applies it to event type examples too (test sends deliver them).
func Undeliverable(field string, data json.RawMessage) *herald.ErrorDetail {
	ev := &herald.Event{ID: "evt_check", Type: "check", UserID: "u_check", Data: data, Timestamp: time.Unix(0, 0)}
	for _, format := range payload.ShapeNames() {
		_, err := delivery.Body(ev, &herald.Webhook{ID: "wh_check", Format: format}, nil)
		if err == nil {
			continue
		}
		var perr *payload.Error
		if _, cerr := payload.Canonical(data); errors.As(cerr, &perr) {
			return &herald.ErrorDetail{Field: jsonPathAt(field, data, perr.Offset), Message: "cannot be delivered: " + perr.Reason}
		}
		return &herald.ErrorDetail{Field: field, Message: "cannot be delivered in the " + format + " format: " + err.Error()}
	}
	return nil
}

// jsonPathAt is the path, below prefix, of the innermost value of the JSON text raw that
// contains byte offset ("data.items[3].price"); prefix when raw cannot be read that far.
func jsonPathAt(prefix string, raw []byte, offset int) string {
	type frame struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []frame
	path := func() string {
		p := prefix
		for _, f := range stack {
			if f.object {
				p += "." + f.key
			} else {
				p += "[" + strconv.Itoa(f.index) + "]"
			}
		}
		return p
	}
	done := func() { // a value ended: the container moves to its next member
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return path()
		}
		end := int(dec.InputOffset())
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if key, ok := tok.(string); ok {
				stack[n-1].key, stack[n-1].wantKey = key, false
				continue
			}
		}
		switch tok {
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			done()
			continue
		}
		if end > offset { // tok is the value holding offset
			return path()
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, wantKey: true})
		case json.Delim('['):
			stack = append(stack, frame{})
		default:
			done()
		}
	}
}
