package payload

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/herald-webhooks/herald"
)

// Message is what Herald knows about one delivery before it becomes a body: the event and
// the webhook it goes to.
type Message struct {
	EventID      string
	EventType    string
	Timestamp    time.Time
	WebhookID    string
	User         *User  // nil when the event names no user
	Organization string // "" when the delivery has no organization
	Data         json.RawMessage
}

// User is the user object of a body. Email and Name are left out when empty.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
}

// Source is the part of a Message that one member of a body carries.
type Source int

// The sources a Shape can place in a body.
const (
	EventID      Source = iota + 1 // the event id, a string
	EventType                      // the event type, a string
	Timestamp                      // the event's time, "2006-01-02T15:04:05.000Z"
	WebhookID                      // the webhook's id, a string
	UserObject                     // {"id","email","name"}; left out when the event names no user
	Organization                   // {"id"}; left out when the delivery has no organization
	Data                           // the event's data as it was published
	DataMembers                    // data's own members, merged into the body; Key is unused
)

// Member is one member of a Shape: which part of the Message goes under which name.
type Member struct {
	Key  string
	From Source
}

// Shape is a named body layout: an ordered list of members. A body is built from a Message by
// placing each member's source under its key, in order (JavaScript's property order puts
// array-index names such as "2" first; see the package documentation).
//
// A shape with a DataMembers member merges data's members into the body itself. Every name the
// shape defines is then reserved: a member of data with the same name is left out, so that
// data can never replace the id, type, time, webhook, user or organization of the signed body
// (not even one this delivery does not carry, such as user on an organization event).
type Shape struct {
	Name    string
	Members []Member
}

// heraldMembers are the members every shape carries besides the event's type and data.
func heraldMembers(typeKey string) []Member {
	return []Member{
		{"id", EventID}, {typeKey, EventType}, {"timestamp", Timestamp}, {"webhook_id", WebhookID},
		{"user", UserObject}, {"organization", Organization},
	}
}

// shapes are the body shapes a webhook's format names. Adding one is adding a line here; the
// existing ones never change, since stored webhooks rely on their bytes.
var shapes = []Shape{
	// envelope: Herald's default, and the meeting platform's, Convo's and Bigmind's layout.
	{Name: herald.FormatEnvelope, Members: append(heraldMembers("event"), Member{"data", Data})},
	// flat: data's members at the top level beside Herald's (Pocket's layout).
	{Name: herald.FormatFlat, Members: append(heraldMembers("event"), Member{From: DataMembers})},
	// typed: the envelope with the event type under "type" (Pocketsflow's event.type,
	// event.id, event.data).
	{Name: herald.FormatTyped, Members: append(heraldMembers("type"), Member{"data", Data})},
}

// ShapeNamed returns the shape a webhook's format names; "" is the envelope (rows stored
// before formats existed).
func ShapeNamed(format string) (Shape, bool) {
	if format == "" {
		format = herald.FormatEnvelope
	}
	for _, s := range shapes {
		if s.Name == format {
			return s, true
		}
	}
	return Shape{}, false
}

// ShapeNames lists the formats a webhook may name, the default first.
func ShapeNames() []string {
	out := make([]string, len(shapes))
	for i, s := range shapes {
		out[i] = s.Name
	}
	return out
}

// ErrDataNotObject is Build's error when a shape merges data that is not a JSON object.
var ErrDataNotObject = errors.New("payload: this format merges data's members into the body, so data must be a JSON object")

// Build returns the body of m in shape s: canonical JSON (see Canonical), the same bytes for
// the same message.
func (s Shape) Build(m Message) ([]byte, error) {
	var (
		buf      []byte
		ms       members
		reserved = s.reserved()
	)
	add := func(key string, value []byte) error {
		ks := len(buf)
		buf = appendString(buf, key)
		ke := len(buf)
		v, err := Canonical(value)
		if err != nil {
			return fmt.Errorf("payload: member %q: %w", key, err)
		}
		buf = append(buf, v...)
		ms.add(buf, span{ks, ke}, span{ke, len(buf)})
		return nil
	}
	for _, mem := range s.Members {
		if mem.From == DataMembers {
			if err := mergeData(m.Data, reserved, &buf, &ms); err != nil {
				return nil, err
			}
			continue
		}
		v, err := m.value(mem.From)
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		if err := add(mem.Key, v); err != nil {
			return nil, err
		}
	}
	return appendObject(make([]byte, 0, len(buf)+2*len(ms.list)+2), buf, ms.list), nil
}

// reserved is the set of names (encoded as in the body) that data's members may not take:
// every name the shape defines, when it merges data's members; nil otherwise.
func (s Shape) reserved() map[string]bool {
	var names map[string]bool
	for _, mem := range s.Members {
		if mem.From == DataMembers && names == nil {
			names = map[string]bool{}
			for _, o := range s.Members {
				if o.From != DataMembers {
					names[string(appendString(nil, o.Key))] = true
				}
			}
		}
	}
	return names
}

// mergeData appends data's members, except reserved names, to buf and ms.
func mergeData(data []byte, reserved map[string]bool, buf *[]byte, ms *members) error {
	obj, err := Canonical(data)
	if err != nil {
		return fmt.Errorf("payload: data: %w", err)
	}
	if obj[0] != '{' {
		return ErrDataNotObject
	}
	// obj is canonical, so each key and value is already in its final form: walk it with the
	// decoder and copy member by member.
	d := decoder{data: obj, pos: 1}
	var scratch []byte
	for d.data[d.pos] != '}' {
		ks := d.pos
		if scratch, err = d.string(scratch[:0]); err != nil {
			return err
		}
		ke := d.pos
		d.pos++ // ':'
		vs := d.pos
		if scratch, err = d.value(scratch[:0], 1); err != nil {
			return err
		}
		ve := d.pos
		if d.data[d.pos] == ',' {
			d.pos++
		}
		if reserved[string(obj[ks:ke])] {
			continue
		}
		start := len(*buf)
		*buf = append(*buf, obj[ks:ke]...)
		mid := len(*buf)
		*buf = append(*buf, obj[vs:ve]...)
		ms.add(*buf, span{start, mid}, span{mid, len(*buf)})
	}
	return nil
}

// value is the JSON text of one source of m, nil when m does not have it.
func (m Message) value(src Source) ([]byte, error) {
	str := func(s string) []byte { return appendString(nil, s) }
	switch src {
	case EventID:
		return str(m.EventID), nil
	case EventType:
		return str(m.EventType), nil
	case Timestamp:
		return str(m.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z")), nil
	case WebhookID:
		return str(m.WebhookID), nil
	case UserObject:
		if m.User == nil {
			return nil, nil
		}
		return json.Marshal(m.User)
	case Organization:
		if m.Organization == "" {
			return nil, nil
		}
		return json.Marshal(map[string]string{"id": m.Organization})
	case Data:
		if len(m.Data) == 0 {
			return nil, nil
		}
		return m.Data, nil
	}
	return nil, fmt.Errorf("payload: unknown source %d", src)
}
