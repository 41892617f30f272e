package starter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/herald-webhooks/herald/internal/payload"
)

func TestUndeliverableDataIsNamedByItsPath(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 600) + "1" + strings.Repeat("}", 600)
	for _, tc := range []struct{ name, data, field string }{
		{"a number beyond a double", `{"x":1e400}`, "data.x"},
		{"a nested number beyond a double", `{"a":[1,{"b":-1e309}]}`, "data.a[1].b"},
		{"a number after other members", `{"s":"x","n":{"k":[true,null,2e999]}}`, "data.n.k[2]"},
		{"nesting deeper than the body builder allows", deep, "data" + strings.Repeat(".a", 512)}, // the 513th object,
		{"text that is not UTF-8", "{\"t\":\"\xff\"}", "data.t"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Undeliverable("data", json.RawMessage(tc.data))
			if d == nil || d.Field != tc.field || !strings.HasPrefix(d.Message, "cannot be delivered: ") {
				t.Fatalf("Undeliverable = %+v, want a detail on %s", d, tc.field)
			}
		})
	}
	t.Run("data the body builder takes passes", func(t *testing.T) {
		ok := strings.Repeat("[", 511) + strings.Repeat("]", 511)
		for _, data := range []string{`{"x":1.7976931348623157e308,"y":1e-400}`, `{"a":` + ok + `}`, `{"nul":"\u0000","ls":"\u2028"}`} {
			if _, err := payload.Canonical([]byte(data)); err != nil {
				t.Fatalf("precondition: %v", err)
			}
			if d := Undeliverable("data", json.RawMessage(data)); d != nil {
				t.Errorf("Undeliverable(%.40s) = %+v, want nil", data, d)
			}
		}
	})
}
