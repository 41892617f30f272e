package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/herald-webhooks/herald"
)

// nestedItems is a schema whose items are nested levels deep: {"items":{"items":...{}}}.
func nestedItems(levels int) string {
	return strings.Repeat(`{"items":`, levels) + `{"type":"object"}` + strings.Repeat(`}`, levels)
}

// TestDeeplyNestedSchemasAreRefusedAtOnce: a 5,000-level schema (50 KB) took 119 s to save and
// as long again at its type's first publish in each process, a 1,000-level one 1.2 s. Both are
// refused by their depth before any compile work; a normal schema is still accepted.
func TestDeeplyNestedSchemasAreRefusedAtOnce(t *testing.T) {
	e := newEnv(t)
	e.directory()
	for _, levels := range []int{1000, 5000} {
		ans := e.expectError(422, "validation_failed", "schema", "PUT", "/event-types/deep.schema",
			map[string]any{"schema": json.RawMessage(nestedItems(levels))})
		if msg := ans.Error.Details[0].Message; !strings.Contains(msg, "at most 64") {
			t.Errorf("%d levels: message %q does not name the bound", levels, msg)
		}
		e.expectError(404, "not_found", "", "GET", "/event-types/deep.schema", nil)
	}
	e.mustDo(200, "PUT", "/event-types/deep.schema", map[string]any{"schema": json.RawMessage(nestedItems(20))}, nil)
	if st, ans := e.publish(e.ev("evt_deep_ok"), "deep.schema", `{}`); st != 202 {
		t.Fatalf("publish under a 20-level schema = %d %+v", st, ans)
	}

	t.Run("a stored schema beyond the bounds does not hold up a publish", func(t *testing.T) {
		// As an older Herald could have stored it: the publish fails at once instead of
		// compiling for minutes.
		if err := e.store.UpsertEventType(context.Background(), herald.EventType{Name: "deep.stored",
			Schema: json.RawMessage(nestedItems(5000))}); err != nil {
			t.Fatal(err)
		}
		if st, ans := e.publish(e.ev("evt_deep_stored"), "deep.stored", `{}`); st != 500 || ans.Error.Code != "internal" {
			t.Fatalf("publish = %d %+v, want 500 (the stored schema is Herald's fault)", st, ans)
		}
	})
}
