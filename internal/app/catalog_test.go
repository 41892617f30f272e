package app

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/herald-webhooks/herald"
)

// memEventTypes is the catalog in memory, counting its writes.
type memEventTypes struct {
	types  map[string]herald.EventType
	writes int
}

func newMemEventTypes() *memEventTypes {
	return &memEventTypes{types: map[string]herald.EventType{
		"summary.completed": {Name: "summary.completed", Description: "A summary is ready", Group: "summaries",
			Schema: json.RawMessage(`{"type":"object","required":["title"]}`)},
	}}
}

func (m *memEventTypes) EventTypes(context.Context) ([]herald.EventType, error) {
	return []herald.EventType{m.types["summary.completed"]}, nil
}

func (m *memEventTypes) EventType(_ context.Context, name string) (herald.EventType, error) {
	et, ok := m.types[name]
	if !ok {
		return herald.EventType{}, herald.Errorf(herald.ENotFound, "event type not found")
	}
	return et, nil
}

func (m *memEventTypes) UpsertEventType(_ context.Context, et herald.EventType) error {
	m.writes++
	m.types[et.Name] = et
	return nil
}

func (m *memEventTypes) DeleteEventType(_ context.Context, name string) (*herald.EventType, error) {
	m.writes++
	delete(m.types, name)
	return nil, nil
}

func TestEveryoneReadsTheCatalogAndOnlyTheBackendChangesIt(t *testing.T) {
	store := newMemEventTypes()
	s := &Catalog{Store: store}
	for _, ctx := range []context.Context{as(alice), as(admin)} {
		if l, err := s.List(ctx); err != nil || len(l.Groups) != 1 || l.Groups[0].Name != "summaries" {
			t.Fatalf("list %+v, error %v", l, err)
		}
		if _, err := s.Get(ctx, "summary.completed"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.List(context.Background()); herald.ErrorCode(err) != herald.EUnauthorized {
		t.Fatalf("unauthenticated list: %v", err)
	}
	decoded := false
	put := func() (EventTypeRequest, error) { decoded = true; return EventTypeRequest{}, nil }
	patch := func() (EventTypeMerge, error) { decoded = true; return nil, nil }
	for _, ctx := range []context.Context{as(alice), as(owner), context.Background()} {
		_, putErr := s.Put(ctx, "x.y", put)
		_, patchErr := s.Patch(ctx, "summary.completed", patch)
		_, delErr := s.Delete(ctx, "summary.completed")
		for _, err := range []error{putErr, patchErr, delErr} {
			if code := herald.ErrorCode(err); code != herald.EForbidden {
				t.Errorf("code %q, want %q", code, herald.EForbidden)
			}
		}
	}
	if decoded || store.writes > 0 {
		t.Fatalf("decoded %v, %d writes for callers without an admin key", decoded, store.writes)
	}
}

func TestEventTypesAreValidatedBeforeTheyAreStored(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name   string
		type_  string
		in     EventTypeRequest
		code   string
		fields []string
	}{
		{"a new type with an example its schema accepts is stored", "a.b", EventTypeRequest{
			Schema: json.RawMessage(`{"type": "object"}`), Example: json.RawMessage(`{"x": 1}`)}, "", nil},
		{"a name that breaks the id rule", "a b", EventTypeRequest{}, herald.EInvalid, []string{"name"}},
		{"members that are too long or not objects", "a.b", EventTypeRequest{Group: str(string(make([]byte, 201))),
			Example: json.RawMessage(`[1]`)}, herald.EInvalid, []string{"group", "example"}},
		{"an example the schema refuses", "a.b", EventTypeRequest{Schema: json.RawMessage(`{"type":"object","required":["t"]}`),
			Example: json.RawMessage(`{}`)}, herald.EInvalid, []string{"example.t"}},
		{"an example no body can carry", "a.b", EventTypeRequest{Example: json.RawMessage(`{"x":1e400}`)},
			herald.EInvalid, []string{"example.x"}},
		{"a replace that omits stored members names them, after the given members' errors", "summary.completed",
			EventTypeRequest{Example: json.RawMessage(`"x"`)}, herald.EInvalid,
			[]string{"example", "description", "group", "schema"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemEventTypes()
			s := &Catalog{Store: store}
			et, err := s.Put(as(admin), tc.type_, Given(tc.in))
			if tc.code == "" {
				if err != nil || et.Name != tc.type_ || string(et.Schema) != `{"type":"object"}` || store.writes != 1 {
					t.Fatalf("stored %+v, error %v", et, err)
				}
				return
			}
			herr, _ := err.(*herald.Error)
			if herr == nil || herr.Code != tc.code || !slices.Equal(fields(herr.Details), tc.fields) || store.writes > 0 {
				t.Fatalf("error %+v, %d writes", err, store.writes)
			}
		})
	}
	t.Run("a patch is decoded before the stored type is read", func(t *testing.T) {
		s := &Catalog{Store: newMemEventTypes()}
		bad := herald.Errorf(herald.EMalformed, "request body must be a JSON object")
		if _, err := s.Patch(as(admin), "missing.type", func() (EventTypeMerge, error) { return nil, bad }); err != bad {
			t.Fatalf("error %v, want the decoder's", err)
		}
	})
}
