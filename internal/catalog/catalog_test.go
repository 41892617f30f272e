package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// expectedNames lists, per product, every event name its seed document
// publishes (see /work/shared/seeds). A deleted catalog entry fails the test.
var expectedNames = map[string][]string{
	"Pocket": {
		// Processing Events
		"transcription.completed", "summary.completed", "summary.regenerated", "summary.updated",
		"mind_map.completed", "action_items.regenerated", "speakers.labeled",
		// User Actions
		"transcript.edited", "action_items.updated", "recording.created", "recording.deleted",
		"recording.merged", "translation.completed",
	},
	"Meeting platform": {
		// Recording Events
		"recording.created", "recording.processing.started", "recording.processing.completed",
		"recording.processing.failed", "recording.transcript.ready", "recording.deleted",
		// Meeting Events
		"meeting.created", "meeting.updated", "meeting.deleted", "meeting.started", "meeting.ended",
		// Transcript Events
		"transcript.generated", "transcript.updated",
		// Signal Events
		"signal.detected", "signal.confirmed",
		// User Events
		"user.invited", "user.joined",
	},
	"Convo": {
		"conversation.created", "conversation.updated", "conversation.keypoints.ready",
		"conversation.summary.ready", "conversation.action_items.ready", "conversation.feedback.ready",
		"conversation.shared", "conversation.deleted", "transcript.ready", "transcript.failed",
		"webhook.test",
	},
	"Pocketsflow": {
		"order.completed", "customer.created", "customer.subscription.deleted",
	},
	"Bigmind": {
		"transcription_created", "summary_created",
	},
}

// expectedGroups pins the documented groups of the meeting platform and Pocket.
var expectedGroups = map[string]string{
	"transcription.completed":       "Processing",
	"summary.completed":             "Processing",
	"speakers.labeled":              "Processing",
	"transcript.edited":             "User Actions",
	"translation.completed":         "User Actions",
	"recording.processing.started":  "Recording",
	"recording.transcript.ready":    "Recording",
	"meeting.ended":                 "Meeting",
	"transcript.generated":          "Transcript",
	"signal.confirmed":              "Signal",
	"user.joined":                   "User",
	"webhook.test":                  "Testing",
	"conversation.keypoints.ready":  "Conversation",
	"customer.subscription.deleted": "Subscription",
}

func load(t *testing.T) []EventType {
	t.Helper()
	evs, err := Examples()
	if err != nil {
		t.Fatalf("Examples: %v", err)
	}
	if len(evs) == 0 {
		t.Fatal("Examples returned no event types")
	}
	return evs
}

func byName(t *testing.T) map[string]EventType {
	t.Helper()
	m := map[string]EventType{}
	for _, e := range load(t) {
		m[e.Name] = e
	}
	return m
}

func TestNamesUniqueAndNonEmpty(t *testing.T) {
	seen := map[string]bool{}
	for i, e := range load(t) {
		if e.Name == "" {
			t.Errorf("entry %d has an empty name", i)
		}
		if e.Description == "" {
			t.Errorf("%s: empty description", e.Name)
		}
		if e.Group == "" {
			t.Errorf("%s: empty group", e.Name)
		}
		if seen[e.Name] {
			t.Errorf("duplicate name %q", e.Name)
		}
		seen[e.Name] = true
	}
}

func TestEverySeedEventPresent(t *testing.T) {
	m := byName(t)
	want := map[string]bool{}
	for product, names := range expectedNames {
		for _, n := range names {
			want[n] = true
			if _, ok := m[n]; !ok {
				t.Errorf("%s event %q missing from catalog", product, n)
			}
		}
	}
	for n := range m {
		if !want[n] {
			t.Errorf("catalog entry %q is not in any product's expected list", n)
		}
	}
}

func TestGroups(t *testing.T) {
	m := byName(t)
	for n, g := range expectedGroups {
		if got := m[n].Group; got != g {
			t.Errorf("%s: group %q, want %q", n, got, g)
		}
	}
}

// decodeObject decodes raw as a JSON object, keeping numbers exact.
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object: %s", raw)
	}
	return obj, nil
}

func TestSchemaAndExampleAreObjects(t *testing.T) {
	for _, e := range load(t) {
		s, err := decodeObject(e.Schema)
		if err != nil {
			t.Errorf("%s: schema: %v", e.Name, err)
			continue
		}
		if s["type"] != "object" {
			t.Errorf("%s: schema type is %v, want object", e.Name, s["type"])
		}
		if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: schema $schema is %v, want draft 2020-12", e.Name, s["$schema"])
		}
		if _, ok := s["properties"].(map[string]any); !ok {
			t.Errorf("%s: schema has no properties object", e.Name)
		}
		if ap, ok := s["additionalProperties"]; ok && ap == false {
			t.Errorf("%s: schema forbids additional properties", e.Name)
		}
		if _, err := decodeObject(e.Example); err != nil {
			t.Errorf("%s: example: %v", e.Name, err)
		}
	}
}

// TestSummaryCompletedExample checks that the summary.completed example carries
// the data of Pocket's documented payload (everything except the envelope
// fields event, timestamp, user and organization).
func TestSummaryCompletedExample(t *testing.T) {
	e, ok := byName(t)["summary.completed"]
	if !ok {
		t.Fatal("summary.completed missing")
	}
	ex, err := decodeObject(e.Example)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"event", "timestamp", "user", "organization"} {
		if _, ok := ex[env]; ok {
			t.Errorf("example contains envelope field %q", env)
		}
	}
	paths := [][]string{
		{"recording", "id"}, {"recording", "title"}, {"recording", "description"},
		{"recording", "duration"}, {"recording", "language"}, {"recording", "createdAt"},
		{"summarizations", "sum_456", "id"},
		{"summarizations", "sum_456", "summarizationId"},
		{"summarizations", "sum_456", "processingStatus"},
		{"summarizations", "sum_456", "v2", "summary", "title"},
		{"summarizations", "sum_456", "v2", "summary", "emoji"},
		{"summarizations", "sum_456", "v2", "summary", "markdown"},
		{"summarizations", "sum_456", "v2", "summary", "bulletPoints"},
		{"summarizations", "sum_456", "v2", "actionItems", "version"},
		{"summarizations", "sum_456", "v2", "actionItems", "actionItems"},
		{"summarizations", "sum_456", "v2", "mindMap", "nodes"},
		{"summarizations", "sum_456", "v2", "mindMap", "edges"},
		{"summarizations", "sum_456", "v2", "speakerMindMap"},
		{"summarizations", "sum_456", "v2", "clusterMindMap"},
		{"summarizations", "sum_456", "v2", "contextMindMap"},
		{"summarizations", "sum_456", "v2", "flowMindMap"},
		{"summarizations", "sum_456", "settings", "modelId"},
		{"summarizations", "sum_456", "settings", "themeId"},
		{"summarizations", "sum_456", "settings", "language"},
		{"summarizations", "sum_456", "autoInitiated"},
		{"summarizations", "sum_456", "createdAt"},
		{"summarizations", "sum_456", "updatedAt"},
		{"transcript"},
	}
	for _, p := range paths {
		if _, err := lookup(ex, p); err != nil {
			t.Errorf("summary.completed example: %v", err)
		}
	}
	items, _ := lookup(ex, []string{"summarizations", "sum_456", "v2", "actionItems", "actionItems"})
	list, _ := items.([]any)
	if len(list) != 1 {
		t.Fatalf("want 1 documented action item, got %v", items)
	}
	ai, _ := list[0].(map[string]any)
	for _, k := range []string{"id", "parentTaskId", "title", "dueDate", "status", "globalActionItemId", "isCompleted", "is_completed"} {
		if _, ok := ai[k]; !ok {
			t.Errorf("action item lacks %q", k)
		}
	}
	tr, _ := ex["transcript"].([]any)
	if len(tr) != 1 {
		t.Fatalf("want 1 documented transcript segment, got %v", ex["transcript"])
	}
	seg, _ := tr[0].(map[string]any)
	for _, k := range []string{"speaker", "text", "start", "end"} {
		if _, ok := seg[k]; !ok {
			t.Errorf("transcript segment lacks %q", k)
		}
	}
	if id, _ := lookup(ex, []string{"recording", "id"}); id != "rec_abc123" {
		t.Errorf("recording.id = %v, want rec_abc123", id)
	}
	if m, _ := lookup(ex, []string{"summarizations", "sum_456", "settings", "modelId"}); m != "gpt5" {
		t.Errorf("settings.modelId = %v, want gpt5", m)
	}
}

func lookup(v any, path []string) (any, error) {
	for i, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%v is not an object", path[:i])
		}
		if v, ok = m[k]; !ok {
			return nil, fmt.Errorf("missing %v", path[:i+1])
		}
	}
	return v, nil
}

// TestExamplesSatisfySchemas compiles every schema with the validator publishing uses and
// checks that the type's example payload is valid data for it.
func TestExamplesSatisfySchemas(t *testing.T) {
	for _, e := range load(t) {
		s, err := Compile(e.Schema)
		if err != nil {
			t.Errorf("%s: schema does not compile: %v", e.Name, err)
			continue
		}
		for _, d := range s.Validate("data", e.Example) {
			t.Errorf("%s: example: %s %s", e.Name, d.Field, d.Message)
		}
		// The schema is not vacuous: data without its required members is refused, by name.
		sch, _ := decodeObject(e.Schema)
		req, _ := sch["required"].([]any)
		if len(req) == 0 {
			t.Errorf("%s: the schema requires no top-level member", e.Name)
			continue
		}
		got := map[string]bool{}
		for _, d := range s.Validate("data", []byte(`{}`)) {
			got[d.Field] = true
		}
		for _, r := range req {
			if !got["data."+r.(string)] || len(got) != len(req) {
				t.Errorf("%s: {} gives %v, want one detail per required member %v", e.Name, got, req)
				break
			}
		}
	}
}
