package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
)

func TestCompileRefusesBadSchemas(t *testing.T) {
	dir := t.TempDir()
	local := filepath.Join(dir, "local.json")
	if err := os.WriteFile(local, []byte(`{"type":"object"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"not JSON":                    `{"type":`,
		"a type that does not exist":  `{"type":"thing"}`,
		"required that is not a list": `{"type":"object","required":"id"}`,
		"a file reference":            `{"$ref":"file://` + local + `"}`,
		"a network reference":         `{"$ref":"https://example.com/schema.json"}`,
		"a bad pattern":               `{"type":"string","pattern":"("}`,
	}
	for name, schema := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Compile([]byte(schema))
			var herr *herald.Error
			if err == nil {
				t.Fatal("compiled")
			}
			if !asError(err, &herr) || herr.Code != herald.EInvalid || len(herr.Details) != 1 || herr.Details[0].Field != "schema" {
				t.Fatalf("error %#v, want validation_failed on field schema", err)
			}
			if strings.Contains(herr.Details[0].Message, schemaURL) {
				t.Errorf("message leaks the internal URL: %s", herr.Details[0].Message)
			}
		})
	}
}

func asError(err error, target **herald.Error) bool {
	e, ok := err.(*herald.Error)
	*target = e
	return ok
}

func TestValidateNamesTheFailingPath(t *testing.T) {
	s, err := Compile([]byte(`{
		"type": "object", "required": ["summary"],
		"properties": {
			"summary": {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}},
			"transcript": {"type": "array", "items": {"type": "object", "properties": {"start": {"type": "number"}}}},
			"byKey": {"type": "object", "additionalProperties": {"type": "object", "required": ["id"]}}
		}}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, data string
		want       []string // fields, sorted
	}{
		{"valid data", `{"summary":{"title":"t"},"transcript":[{"start":0}],"extra":1}`, nil},
		{"a missing member", `{"summary":{}}`, []string{"data.summary.title"}},
		{"a missing top-level member", `{}`, []string{"data.summary"}},
		{"a wrong type", `{"summary":{"title":3}}`, []string{"data.summary.title"}},
		{"an array element", `{"summary":{"title":"t"},"transcript":[{"start":0},{"start":"x"}]}`, []string{"data.transcript[1].start"}},
		{"a keyed member", `{"summary":{"title":"t"},"byKey":{"sum_1":{}}}`, []string{"data.byKey.sum_1.id"}},
		{"two failures", `{"summary":{"title":false},"transcript":[{"start":"0"}]}`, []string{"data.summary.title", "data.transcript[0].start"}},
		{"not an object", `[]`, []string{"data"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := s.Validate("data", []byte(c.data))
			var fields []string
			for _, d := range got {
				fields = append(fields, d.Field)
				if d.Message == "" {
					t.Errorf("%s has no message", d.Field)
				}
			}
			if strings.Join(fields, ",") != strings.Join(c.want, ",") {
				t.Errorf("fields %v (%+v), want %v", fields, got, c.want)
			}
		})
	}
}

func TestDraft2020IsTheDefault(t *testing.T) {
	// prefixItems exists in Draft 2020-12 only: with it, ["a", 1] fails on its second item.
	s, err := Compile([]byte(`{"type":"array","prefixItems":[{"type":"string"},{"type":"string"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Validate("data", []byte(`["a", 1]`)); len(got) != 1 || got[0].Field != "data[1]" {
		t.Errorf("got %+v, want one failure at data[1]", got)
	}
}

func TestSchemasCompileOncePerText(t *testing.T) {
	var c Schemas
	a, err := c.Get([]byte(`{"type":"object"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Get([]byte(`{"type":"object"}`))
	if a != b {
		t.Error("the same text was compiled twice")
	}
	d, _ := c.Get([]byte(`{"type":"object","required":["id"]}`))
	if d == a || c.Len() != 2 {
		t.Errorf("a changed schema text must compile anew (cache %d entries)", c.Len())
	}
	if _, err := c.Get([]byte(`{"type":1}`)); err == nil || c.Len() != 2 {
		t.Errorf("a bad schema: err %v, cache %d entries", err, c.Len())
	}
}

// nestedItems is a schema whose items are nested levels deep: {"items":{"items":...{}}}.
func nestedItems(levels int) []byte {
	return []byte(strings.Repeat(`{"items":`, levels) + `{}` + strings.Repeat(`}`, levels))
}

// siblingProperties is a schema of n empty properties.
func siblingProperties(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"properties":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"p%d":{}`, i)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// TestCompileRefusesSchemasBeyondItsBounds: a 5,000-level schema (50 KB) took 119 s to compile
// and a 1,000-level one 1.2 s, on save and again on each process's first publish of its type.
// They are refused by measuring the text, before any compile work: the refusal names the bound.
func TestCompileRefusesSchemasBeyondItsBounds(t *testing.T) {
	cases := []struct {
		name   string
		schema []byte
		bound  string // in the message
	}{
		{"5,000 levels of items", nestedItems(5000), "64 levels deep"},
		{"1,000 levels of items", nestedItems(1000), "64 levels deep"},
		{"one level too deep", nestedItems(MaxSchemaDepth), "64 levels deep"},
		{"too long", []byte(`{"description":"` + strings.Repeat("x", MaxSchemaBytes) + `"}`), "at most 65536"},
		{"too many subschemas", siblingProperties(MaxSchemaObjects), "at most 2000"},
		{"deep arrays", []byte(strings.Repeat(`{"enum":[`, 40) + strings.Repeat(`]}`, 40)), "64 levels deep"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A generous guard only: the refusal must come from the bounds, not the budget.
			done := make(chan error, 1)
			go func() { _, err := Compile(c.schema); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				t.Fatal("no answer within a minute")
			}
			var herr *herald.Error
			if !asError(err, &herr) || herr.Code != herald.EInvalid || len(herr.Details) != 1 || herr.Details[0].Field != "schema" {
				t.Fatalf("error %#v, want validation_failed on field schema", err)
			}
			if msg := herr.Details[0].Message; !strings.Contains(msg, c.bound) || strings.Contains(msg, "to compile") {
				t.Errorf("message %q, want the bound %q", msg, c.bound)
			}
		})
	}
}

func TestCompileAcceptsSchemasWithinItsBounds(t *testing.T) {
	cases := map[string][]byte{
		"63 levels of items (64 with the innermost)": nestedItems(MaxSchemaDepth - 1),
		"a full set of subschemas":                   siblingProperties(MaxSchemaObjects - 2),
		"braces in strings are not structure": []byte(`{"description":"` + strings.Repeat(`{[\"`, 100) + `",` +
			`"properties":{"{":{"const":"[[["}}}`),
	}
	for name, schema := range cases {
		t.Run(name, func(t *testing.T) {
			// Compile itself, with the budget widened only by the race detector's slowdown.
			if _, err := startCompile(schema, nil).wait(CompileBudget * raceSlowdown); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCompileRefusesASchemaOverItsTimeBudget(t *testing.T) {
	// 2,000 sibling subschemas take milliseconds at least: far more than a microsecond.
	_, err := startCompile(siblingProperties(MaxSchemaObjects-2), nil).wait(time.Microsecond)
	var herr *herald.Error
	if !asError(err, &herr) || len(herr.Details) != 1 || herr.Details[0].Field != "schema" ||
		!strings.Contains(herr.Details[0].Message, "takes longer than 1µs to compile") {
		t.Fatalf("error %#v, want a refusal on field schema naming the budget", err)
	}
}

func TestSchemasShareOneCompilePerText(t *testing.T) {
	var c Schemas
	schema := siblingProperties(500)
	got := make(chan *Schema, 8)
	for i := 0; i < cap(got); i++ {
		go func() {
			s, err := c.Get(schema)
			if err != nil {
				t.Error(err)
			}
			got <- s
		}()
	}
	first := <-got
	for i := 1; i < cap(got); i++ {
		if s := <-got; s != first || s == nil {
			t.Fatal("concurrent publishes compiled the same text more than once")
		}
	}
}
