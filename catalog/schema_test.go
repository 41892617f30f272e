package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
