package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

type eventType struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Group       string          `json:"group"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
	Archived    bool            `json:"archived"`
}

type errorAnswer struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"details"`
	} `json:"error"`
}

// fields lists the detail fields of an error answer.
func (a errorAnswer) fields() []string {
	var out []string
	for _, d := range a.Error.Details {
		out = append(out, d.Field)
	}
	return out
}

// expectError sends a request and checks its status, error code and that one detail names field.
func (e *env) expectError(status int, code, field, method, path string, body any) errorAnswer {
	e.t.Helper()
	var ans errorAnswer
	if got := e.do(method, path, body, &ans); got != status {
		e.t.Fatalf("%s %s = %d, want %d: %+v", method, path, got, status, ans)
	}
	if ans.Error.Code != code {
		e.t.Fatalf("%s %s: code %q, want %q", method, path, ans.Error.Code, code)
	}
	if field != "" && !contains(ans.fields(), field) {
		e.t.Fatalf("%s %s: details %+v do not name %q", method, path, ans.Error.Details, field)
	}
	return ans
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const summarySchema = `{
	"type": "object", "required": ["summary"],
	"properties": {
		"summary": {"type": "object", "required": ["title"],
			"properties": {"title": {"type": "string"}, "bulletPoints": {"type": "array", "items": {"type": "string"}}}}
	}}`

func TestEventTypeCatalog(t *testing.T) {
	e := newEnv(t)
	put := map[string]any{
		"description": "Full post-processing is complete", "group": "Processing",
		"schema":  json.RawMessage(summarySchema),
		"example": json.RawMessage(`{"summary":{"title":"Team Standup","bulletPoints":["Ship v2"]}}`),
	}
	var stored eventType
	e.mustDo(200, "PUT", "/event-types/summary.completed", put, &stored)
	e.mustDo(200, "PUT", "/event-types/recording.created", map[string]any{"group": "User Actions"}, nil)
	e.mustDo(200, "PUT", "/event-types/mind_map.completed", map[string]any{"group": "Processing"}, nil)

	t.Run("PUT answers the stored type with its schema and example", func(t *testing.T) {
		if stored.Name != "summary.completed" || stored.Group != "Processing" || stored.Archived {
			t.Fatalf("stored %+v", stored)
		}
		var got eventType
		e.mustDo(200, "GET", "/event-types/summary.completed", nil, &got)
		if !strings.Contains(string(got.Schema), `"required":["title"]`) || !strings.Contains(string(got.Example), `"Team Standup"`) {
			t.Fatalf("GET answers %+v", got)
		}
	})

	t.Run("the list groups the types in group then name order", func(t *testing.T) {
		var list struct {
			Data   []eventType `json:"data"`
			Groups []struct {
				Name       string      `json:"name"`
				EventTypes []eventType `json:"event_types"`
			} `json:"groups"`
		}
		e.mustDo(200, "GET", "/event-types", nil, &list)
		if len(list.Data) != 3 || len(list.Groups) != 2 {
			t.Fatalf("list %+v", list)
		}
		g := list.Groups[0]
		if g.Name != "Processing" || len(g.EventTypes) != 2 || g.EventTypes[0].Name != "mind_map.completed" ||
			g.EventTypes[1].Name != "summary.completed" || list.Groups[1].EventTypes[0].Name != "recording.created" {
			t.Fatalf("groups %+v", list.Groups)
		}
	})

	t.Run("an unknown type is a 404", func(t *testing.T) {
		e.expectError(404, "not_found", "", "GET", "/event-types/no.such.type", nil)
	})

	bad := []struct {
		name, field string
		body        map[string]any
	}{
		{"a schema that does not compile", "schema", map[string]any{"schema": json.RawMessage(`{"type":"thing"}`)}},
		{"a schema that is not an object", "schema", map[string]any{"schema": json.RawMessage(`[1]`)}},
		{"a schema that refers to a file", "schema", map[string]any{"schema": json.RawMessage(`{"$ref":"file:///etc/passwd"}`)}},
		{"an example missing a required member", "example.summary.title", map[string]any{
			"schema": json.RawMessage(summarySchema), "example": json.RawMessage(`{"summary":{}}`)}},
		{"an example with a wrong type", "example.summary.bulletPoints[1]", map[string]any{
			"schema": json.RawMessage(summarySchema), "example": json.RawMessage(`{"summary":{"title":"t","bulletPoints":["a",2]}}`)}},
		{"an example that is not an object", "example", map[string]any{"example": "text"}},
		{"a description too long", "description", map[string]any{"description": strings.Repeat("x", 2001)}},
	}
	for _, b := range bad {
		t.Run("PUT with "+b.name+" is a 422 naming "+b.field+" and changes nothing", func(t *testing.T) {
			e.expectError(422, "validation_failed", b.field, "PUT", "/event-types/summary.completed", b.body)
			var got eventType
			e.mustDo(200, "GET", "/event-types/summary.completed", nil, &got)
			if got.Description != "Full post-processing is complete" || !strings.Contains(string(got.Schema), `"title"`) {
				t.Fatalf("the type changed: %+v", got)
			}
		})
	}

	t.Run("a bad name is a 422", func(t *testing.T) {
		e.expectError(422, "validation_failed", "name", "PUT", "/event-types/bad%20name", map[string]any{})
	})
}

// publish posts an event and returns the status and the answer.
func (e *env) publish(id, typ string, data string) (int, errorAnswer) {
	e.t.Helper()
	var ans errorAnswer
	st := e.do("POST", "/events", map[string]any{"id": id, "event": typ, "user_id": "u_1", "data": json.RawMessage(data)}, &ans)
	return st, ans
}

func TestPublishValidatesDataAgainstTheTypesSchema(t *testing.T) {
	e := newEnv(t)
	e.directory()
	e.mustDo(200, "PUT", "/event-types/summary.completed", map[string]any{"group": "Processing", "schema": json.RawMessage(summarySchema)}, nil)
	r := newReceiver(t)
	w := e.createWebhook("/users/u_1", r.URL+"/hook", []string{"*"}, nil)
	r.register("/hook", w.Secret)

	t.Run("data failing the schema is a 422 naming the JSON path, and nothing is stored or sent", func(t *testing.T) {
		cases := map[string]string{
			"data.summary.title":           `{"summary":{}}`,
			"data.summary":                 `{"summary":"text"}`,
			"data.summary.bulletPoints[0]": `{"summary":{"title":"t","bulletPoints":[1]}}`,
		}
		for field, data := range cases {
			id := e.ev("evt_bad_" + strings.NewReplacer(".", "_", "[", "_", "]", "").Replace(field))
			st, ans := e.publish(id, "summary.completed", data)
			if st != 422 || ans.Error.Code != "validation_failed" || !contains(ans.fields(), field) {
				t.Fatalf("%s: %d %+v, want 422 validation_failed naming %s", data, st, ans, field)
			}
			e.expectError(404, "not_found", "", "GET", "/events/"+id, nil)
		}
	})

	t.Run("valid data is accepted and delivered", func(t *testing.T) {
		id := e.ev("evt_good")
		if st, ans := e.publish(id, "summary.completed", `{"summary":{"title":"Standup"},"extra":true}`); st != 202 {
			t.Fatalf("publish = %d %+v", st, ans)
		}
		e.waitDeliveries(id, 1)
		if n := len(r.requests("/hook")); n != 1 {
			t.Fatalf("receiver got %d requests, want 1 (none for the refused events)", n)
		}
	})

	t.Run("a changed schema applies to the next publish", func(t *testing.T) {
		stricter := strings.Replace(summarySchema, `"required": ["summary"]`, `"required": ["summary", "recording"]`, 1)
		e.mustDo(200, "PUT", "/event-types/summary.completed", map[string]any{"group": "Processing", "schema": json.RawMessage(stricter)}, nil)
		st, ans := e.publish(e.ev("evt_after_change"), "summary.completed", `{"summary":{"title":"Standup"}}`)
		if st != 422 || !contains(ans.fields(), "data.recording") {
			t.Fatalf("publish after a stricter schema = %d %+v, want 422 naming data.recording", st, ans)
		}
		e.mustDo(200, "PUT", "/event-types/summary.completed", map[string]any{"group": "Processing", "schema": nil}, nil) // null removes it
		if st, ans := e.publish(e.ev("evt_no_schema"), "summary.completed", `{"anything":1}`); st != 202 {
			t.Fatalf("publish after the schema was removed = %d %+v", st, ans)
		}
	})
}

func TestDeleteEventTypeArchivesWhatIsInUse(t *testing.T) {
	e := newEnv(t)
	e.directory() // summary.completed and recording.created
	e.mustDo(200, "PUT", "/event-types/unused.type", map[string]any{"group": "Other"}, nil)
	e.mustDo(200, "PUT", "/event-types/subscribed.type", map[string]any{"group": "Other"}, nil)
	r := newReceiver(t)
	e.createWebhook("/users/u_2", r.URL+"/sub", []string{"subscribed.type"}, nil)
	w := e.createWebhook("/users/u_1", r.URL+"/hook", []string{"recording.created"}, nil)
	r.register("/hook", w.Secret)
	if st, ans := e.publish(e.ev("evt_used"), "summary.completed", `{}`); st != 202 {
		t.Fatalf("publish = %d %+v", st, ans)
	}

	t.Run("an unknown type is a 404", func(t *testing.T) {
		e.expectError(404, "not_found", "", "DELETE", "/event-types/no.such.type", nil)
	})

	t.Run("a type nothing refers to is deleted", func(t *testing.T) {
		if st := e.do("DELETE", "/event-types/unused.type", nil, nil); st != 204 {
			t.Fatalf("DELETE = %d, want 204", st)
		}
		e.expectError(404, "not_found", "", "GET", "/event-types/unused.type", nil)
	})

	for _, name := range []string{"summary.completed", "subscribed.type"} {
		t.Run(name+", which is in use, is archived and answered", func(t *testing.T) {
			var got eventType
			e.mustDo(200, "DELETE", "/event-types/"+name, nil, &got)
			if got.Name != name || !got.Archived {
				t.Fatalf("DELETE answered %+v, want the archived type", got)
			}
			e.mustDo(200, "GET", "/event-types/"+name, nil, &got)
			if !got.Archived {
				t.Fatalf("GET after DELETE: %+v", got)
			}
		})
	}

	t.Run("publishing an archived type is a 422 and stores nothing", func(t *testing.T) {
		id := e.ev("evt_archived")
		st, ans := e.publish(id, "summary.completed", `{}`)
		if st != 422 || !contains(ans.fields(), "event") || !strings.Contains(ans.Error.Message, "archived") {
			t.Fatalf("publish = %d %+v", st, ans)
		}
		e.expectError(404, "not_found", "", "GET", "/events/"+id, nil)
	})

	t.Run("re-publishing an event accepted before the type was archived keeps its first answer", func(t *testing.T) {
		var first struct {
			ID        string `json:"id"`
			Duplicate bool   `json:"duplicate"`
		}
		e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_used"), "event": "summary.completed",
			"user_id": "u_1", "data": map[string]any{}}, &first)
		if first.ID != e.ev("evt_used") || !first.Duplicate {
			t.Fatalf("answer %+v, want the first event as a duplicate", first)
		}
		e.expectError(409, "conflict", "", "POST", "/events", map[string]any{"id": e.ev("evt_used"), "event": "summary.completed",
			"user_id": "u_1", "data": map[string]any{"other": 1}})
	})

	t.Run("a new webhook cannot subscribe to an archived type", func(t *testing.T) {
		e.expectError(422, "validation_failed", "events[0]", "POST", "/users/u_1/webhooks",
			map[string]any{"url": r.URL + "/x", "events": []string{"summary.completed"}})
	})

	t.Run("PUT with archived false restores the type", func(t *testing.T) {
		e.mustDo(200, "PUT", "/event-types/summary.completed", map[string]any{"group": "Processing", "archived": false}, nil)
		if st, ans := e.publish(e.ev("evt_restored"), "summary.completed", `{}`); st != 202 {
			t.Fatalf("publish = %d %+v", st, ans)
		}
	})
}

// TestArchiveAndRestoreKeepTheEventTypeWhole: an archived type comes back as it was. The
// README's PUT {"archived": false} used to answer the type with its description, group,
// schema and example gone (and publishing then skipped validation). PUT now refuses to erase
// what it was not given; PATCH changes single members and restores.
func TestArchiveAndRestoreKeepTheEventTypeWhole(t *testing.T) {
	e := newEnv(t)
	e.directory()
	whole := map[string]any{"description": "A summary is ready.", "group": "Processing",
		"schema": json.RawMessage(summarySchema), "example": json.RawMessage(`{"summary":{"title":"Standup"}}`)}
	var want eventType
	e.mustDo(200, "PUT", "/event-types/summary.completed", whole, &want)
	r := newReceiver(t)
	e.createWebhook("/users/u_1", r.URL+"/hook", []string{"summary.completed"}, nil) // in use: DELETE archives
	same := func(step string, got eventType, archived bool) {
		t.Helper()
		if got.Description != want.Description || got.Group != want.Group || string(got.Schema) != string(want.Schema) ||
			string(got.Example) != string(want.Example) || got.Archived != archived {
			t.Fatalf("%s: %+v, want %+v with archived %v", step, got, want, archived)
		}
	}
	// call answers the type a request answers (decoded afresh: an absent schema stays absent).
	call := func(method string, body any) eventType {
		t.Helper()
		var et eventType
		e.mustDo(200, method, "/event-types/summary.completed", body, &et)
		return et
	}
	same("DELETE", call("DELETE", nil), true)

	var got eventType
	t.Run("PUT without the members the type has is a 422 naming them and changes nothing", func(t *testing.T) {
		ans := e.expectError(422, "validation_failed", "schema", "PUT", "/event-types/summary.completed",
			map[string]any{"archived": false})
		for _, f := range []string{"description", "group", "schema", "example"} {
			if !contains(ans.fields(), f) {
				t.Errorf("the 422 does not name %s: %+v", f, ans)
			}
		}
		got = call("GET", nil)
		same("GET after the refused PUT", got, true)
	})

	t.Run("PATCH archived false restores the type whole, and its schema applies again", func(t *testing.T) {
		got = call("PATCH", map[string]any{"archived": false})
		same("PATCH", got, false)
		got = call("GET", nil)
		same("GET after PATCH", got, false)
		if st, ans := e.publish(e.ev("evt_invalid"), "summary.completed", `{"summary":{}}`); st != 422 ||
			!contains(ans.fields(), "data.summary.title") {
			t.Fatalf("publish of data the schema refuses = %d %+v", st, ans)
		}
	})

	t.Run("PATCH changes only the members it names; null clears one", func(t *testing.T) {
		got = call("PATCH", map[string]any{"description": "Ready."})
		if got.Description != "Ready." || string(got.Schema) != string(want.Schema) || got.Group != want.Group {
			t.Fatalf("PATCH description: %+v", got)
		}
		got = call("PATCH", map[string]any{"example": nil})
		if got.Example != nil || string(got.Schema) != string(want.Schema) {
			t.Fatalf("PATCH example null: %+v", got)
		}
		// A schema given is replaced whole, not merged into the old one.
		got = call("PATCH", map[string]any{"schema": map[string]any{"type": "object"}})
		if string(got.Schema) != `{"type":"object"}` {
			t.Fatalf("PATCH schema: %s, want the new schema alone", got.Schema)
		}
		e.expectError(422, "validation_failed", "example.x", "PATCH", "/event-types/summary.completed",
			map[string]any{"schema": map[string]any{"type": "object", "required": []string{"x"}}, "example": map[string]any{}})
		e.expectError(404, "not_found", "", "PATCH", "/event-types/no.such.type", map[string]any{"archived": false})
	})

	t.Run("PUT with the whole type replaces it; null and empty clear", func(t *testing.T) {
		got = call("PUT", map[string]any{"description": "", "group": "Other", "schema": nil, "example": nil})
		if got.Description != "" || got.Group != "Other" || got.Schema != nil || got.Example != nil || got.Archived {
			t.Fatalf("PUT whole: %+v", got)
		}
		e.mustDo(200, "PUT", "/event-types/brand.new", map[string]any{"group": "Other"}, nil) // nothing to erase
	})
}
