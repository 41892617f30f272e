package payload

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
)

func message() Message {
	return Message{
		EventID: "evt_1", EventType: "summary.completed", Timestamp: time.Date(2026, 2, 18, 12, 0, 0, 0, time.UTC),
		WebhookID: "wh_1", User: &User{ID: "u_1", Email: "ada@example.com"}, Organization: "org_1",
		Data: json.RawMessage(`{"html":"<p>a & b</p>","zero":0.0,"tiny":1e-7,"2":"index key"}`),
	}
}

func build(t *testing.T, format string, m Message) string {
	t.Helper()
	s, ok := ShapeNamed(format)
	if !ok {
		t.Fatalf("no shape %q", format)
	}
	b, err := s.Build(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestShapes(t *testing.T) {
	head := `"timestamp":"2026-02-18T12:00:00.000Z","webhook_id":"wh_1","user":{"id":"u_1","email":"ada@example.com"},"organization":{"id":"org_1"}`
	tests := []struct {
		format, want string
	}{
		// envelope and flat are the bytes Herald has always sent for these formats: stored
		// webhooks must keep getting them.
		{herald.FormatEnvelope, `{"id":"evt_1","event":"summary.completed",` + head +
			`,"data":{"2":"index key","html":"<p>a & b</p>","zero":0,"tiny":1e-7}}`},
		{herald.FormatFlat, `{"2":"index key","id":"evt_1","event":"summary.completed",` + head +
			`,"html":"<p>a & b</p>","zero":0,"tiny":1e-7}`},
		{herald.FormatTyped, `{"id":"evt_1","type":"summary.completed",` + head +
			`,"data":{"2":"index key","html":"<p>a & b</p>","zero":0,"tiny":1e-7}}`},
		{"", `{"id":"evt_1","event":"summary.completed",` + head +
			`,"data":{"2":"index key","html":"<p>a & b</p>","zero":0,"tiny":1e-7}}`},
	}
	var bodies []string
	for _, tt := range tests {
		t.Run("format "+tt.format+" builds its documented body", func(t *testing.T) {
			got := build(t, tt.format, message())
			if got != tt.want {
				t.Fatalf("body\n%s\nwant\n%s", got, tt.want)
			}
			if c, _ := Canonical([]byte(got)); string(c) != got {
				t.Fatalf("not canonical: %s", got)
			}
			if again := build(t, tt.format, message()); again != got {
				t.Fatalf("two builds differ:\n%s\n%s", got, again)
			}
			bodies = append(bodies, got)
		})
	}
	t.Run("every body is a fixed point of JSON.stringify(JSON.parse()) in node", func(t *testing.T) {
		for i, js := range runNode(t, bodies) {
			if js == nil || *js != bodies[i] {
				t.Errorf("node printed %v for\n%s", js, bodies[i])
			}
		}
	})
	t.Run("a message without user or organization leaves them out", func(t *testing.T) {
		m := message()
		m.User, m.Organization = nil, ""
		want := `{"id":"evt_1","type":"summary.completed","timestamp":"2026-02-18T12:00:00.000Z","webhook_id":"wh_1",` +
			`"data":{"2":"index key","html":"<p>a & b</p>","zero":0,"tiny":1e-7}}`
		if got := build(t, herald.FormatTyped, m); got != want {
			t.Fatalf("body\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("the names list every format, the default first", func(t *testing.T) {
		want := []string{herald.FormatEnvelope, herald.FormatFlat, herald.FormatTyped}
		if got := ShapeNames(); !slices.Equal(got, want) {
			t.Fatalf("ShapeNames() = %v, want %v", got, want)
		}
		if _, ok := ShapeNamed("Flat"); ok {
			t.Fatal("format names are case-sensitive")
		}
	})
}

// TestFlatDataCannotForgeHeraldsMembers: data merged into the top level must not replace what
// Herald signs as the event's id, type, time, webhook, user or organization.
func TestFlatDataCannotForgeHeraldsMembers(t *testing.T) {
	forged := `{"id":"DATA_ID","event":"DATA_EVENT","timestamp":"DATA_TS","webhook_id":"DATA_WH",` +
		`"user":{"id":"DATA_USER"},"organization":{"id":"DATA_ORG"},"\u0069d":"ESCAPED_ID","kept":1}`
	t.Run("Herald's members win and data's other members stay", func(t *testing.T) {
		m := message()
		m.Data = json.RawMessage(forged)
		want := `{"id":"evt_1","event":"summary.completed","timestamp":"2026-02-18T12:00:00.000Z","webhook_id":"wh_1",` +
			`"user":{"id":"u_1","email":"ada@example.com"},"organization":{"id":"org_1"},"kept":1}`
		if got := build(t, herald.FormatFlat, m); got != want {
			t.Fatalf("body\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("data cannot add a user or organization the delivery does not have", func(t *testing.T) {
		m := message()
		m.User, m.Organization, m.Data = nil, "", json.RawMessage(forged)
		want := `{"id":"evt_1","event":"summary.completed","timestamp":"2026-02-18T12:00:00.000Z","webhook_id":"wh_1","kept":1}`
		if got := build(t, herald.FormatFlat, m); got != want {
			t.Fatalf("body\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("the envelope keeps the same data whole under data", func(t *testing.T) {
		m := message()
		m.Data = json.RawMessage(forged)
		got := build(t, herald.FormatEnvelope, m)
		var body struct {
			ID   string         `json:"id"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal([]byte(got), &body); err != nil {
			t.Fatal(err)
		}
		if body.ID != "evt_1" || body.Data["id"] != "ESCAPED_ID" || body.Data["event"] != "DATA_EVENT" || len(body.Data) != 7 {
			t.Fatalf("body %s", got)
		}
	})
}

func TestFlatNeedsObjectData(t *testing.T) {
	s, _ := ShapeNamed(herald.FormatFlat)
	for _, data := range []string{`[1]`, `"x"`, `3`, `null`} {
		m := message()
		m.Data = json.RawMessage(data)
		if _, err := s.Build(m); !errors.Is(err, ErrDataNotObject) {
			t.Errorf("data %s: error %v, want ErrDataNotObject", data, err)
		}
	}
	m := message()
	m.Data = json.RawMessage(`{"a":1e400}`)
	if _, err := s.Build(m); !errors.Is(err, errNumberRange) {
		t.Errorf("data with 1e400: error %v, want errNumberRange", err)
	}
	m.Data = json.RawMessage(`{}`)
	if got := build(t, herald.FormatFlat, m); got != `{"id":"evt_1","event":"summary.completed","timestamp":"2026-02-18T12:00:00.000Z","webhook_id":"wh_1","user":{"id":"u_1","email":"ada@example.com"},"organization":{"id":"org_1"}}` {
		t.Errorf("empty data: %s", got)
	}
}

// TestShapesAreTheDomainsFormats: a webhook's format is checked against herald.Formats, and a
// format it accepts must have a shape to build.
func TestShapesAreTheDomainsFormats(t *testing.T) {
	if got := ShapeNames(); !slices.Equal(got, herald.Formats) {
		t.Fatalf("shapes %v, formats %v", got, herald.Formats)
	}
}
