package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/herald-webhooks/herald/api"
)

type openapiDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Info       map[string]any                        `json:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Parameters map[string]parameter `json:"parameters"`
	} `json:"components"`
}

type parameter struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

type operation struct {
	OperationID string                     `json:"operationId"`
	Parameters  []parameter                `json:"parameters"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true,
	"head": true, "options": true, "trace": true}

func loadOpenAPI(t *testing.T) (openapiDoc, []byte) {
	t.Helper()
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openapiDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc, raw
}

func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	doc, raw := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi is %q, want 3.x", doc.OpenAPI)
	}
	if doc.Info["title"] == nil || doc.Info["version"] == nil {
		t.Errorf("info lacks title or version: %v", doc.Info)
	}
	if len(doc.Paths) == 0 {
		t.Fatal("no paths")
	}
	if !bytes.Equal(raw, api.OpenAPI()) {
		t.Error("the embedded document differs from openapi.json")
	}

	t.Run("every $ref resolves", func(t *testing.T) {
		var whole any
		_ = json.Unmarshal(raw, &whole)
		for _, m := range regexp.MustCompile(`"\$ref":\s*"#/([^"]+)"`).FindAllStringSubmatch(string(raw), -1) {
			v := whole
			for _, tok := range strings.Split(m[1], "/") {
				obj, _ := v.(map[string]any)
				v = obj[tok]
			}
			if v == nil {
				t.Errorf("$ref #/%s resolves to nothing", m[1])
			}
		}
	})

	t.Run("every operation has a unique id, responses, and declares its path parameters", func(t *testing.T) {
		ids := map[string]string{}
		for path, item := range doc.Paths {
			want := map[string]bool{}
			for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
				want[m[1]] = true
			}
			for method, rawOp := range item {
				if !httpMethods[method] {
					continue
				}
				var op operation
				if err := json.Unmarshal(rawOp, &op); err != nil {
					t.Fatalf("%s %s: %v", method, path, err)
				}
				where := strings.ToUpper(method) + " " + path
				if op.OperationID == "" || ids[op.OperationID] != "" {
					t.Errorf("%s: operationId %q missing or also used by %s", where, op.OperationID, ids[op.OperationID])
				}
				ids[op.OperationID] = where
				if len(op.Responses) == 0 {
					t.Errorf("%s has no responses", where)
				}
				got := map[string]bool{}
				for _, p := range op.Parameters {
					if p.Ref != "" {
						p = doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
					}
					if p.In == "path" {
						got[p.Name] = true
					}
				}
				for name := range want {
					if !got[name] {
						t.Errorf("%s does not declare its path parameter %q", where, name)
					}
				}
				for name := range got {
					if !want[name] {
						t.Errorf("%s declares a path parameter %q its path lacks", where, name)
					}
				}
			}
		}
	})
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// TestOpenAPIListsExactlyTheServersRoutes compares the Gin engine's routes with the document's
// path+method pairs, both ways.
func TestOpenAPIListsExactlyTheServersRoutes(t *testing.T) {
	srv := &api.Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	engine, ok := srv.Handler().(*gin.Engine)
	if !ok {
		t.Fatal("Handler is not a *gin.Engine")
	}
	served := map[string]bool{}
	for _, r := range engine.Routes() {
		served[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	doc, _ := loadOpenAPI(t)
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if httpMethods[method] {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	var undocumented, unserved []string
	for r := range served {
		if !documented[r] {
			undocumented = append(undocumented, r)
		}
	}
	for r := range documented {
		if !served[r] {
			unserved = append(unserved, r)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unserved)
	for _, r := range undocumented {
		t.Errorf("served but not in openapi.json: %s", r)
	}
	for _, r := range unserved {
		t.Errorf("in openapi.json but not served: %s", r)
	}
	if len(undocumented)+len(unserved) > 0 {
		t.Logf("%d routes served, %d documented; %d undocumented, %d not served:\n  %s",
			len(served), len(documented), len(undocumented), len(unserved), strings.Join(append(undocumented, unserved...), "\n  "))
	}
}

func TestOpenAPIIsServedWithoutAuthentication(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.api.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !bytes.Equal(body, api.OpenAPI()) {
		t.Fatal("the served document is not openapi.json")
	}
	// The rest of /api/v1 still needs a key.
	if st := e.doWith("GET", "/event-types", "", nil, nil); st != 401 {
		t.Fatalf("GET /event-types without a key = %d, want 401", st)
	}
}

// TestAnswersMatchTheDocumentedShapes validates real answers against the document's component
// schemas (OpenAPI 3.1 schemas are JSON Schema 2020-12).
func TestAnswersMatchTheDocumentedShapes(t *testing.T) {
	_, raw := loadOpenAPI(t)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const base = "https://herald.invalid/openapi.json"
	if err := c.AddResource(base, doc); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	// answer sends a request, checks its status and that its body matches the component.
	answer := func(component string, status int, method, path string, body any) []byte {
		t.Helper()
		var out json.RawMessage
		if st := e.do(method, path, body, &out); st != status {
			t.Fatalf("%s %s = %d: %s", method, path, st, out)
		}
		sch, err := c.Compile(base + "#/components/schemas/" + component)
		if err != nil {
			t.Fatalf("compile %s: %v", component, err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, out)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s %s does not match %s: %v\n%s", method, path, component, err, out)
		}
		return out
	}

	e.directory()
	r := newReceiver(t)
	answer("EventType", 200, "PUT", "/event-types/summary.completed", map[string]any{"group": "Processing",
		"schema": json.RawMessage(summarySchema), "example": json.RawMessage(`{"summary":{"title":"t"}}`)})
	answer("EventType", 200, "GET", "/event-types/summary.completed", nil)
	answer("EventTypeCatalog", 200, "GET", "/event-types", nil)
	answer("User", 200, "PUT", "/users/u_3", map[string]any{"email": "c@example.com"})
	answer("Organization", 200, "PUT", "/organizations/org_2", map[string]any{"name": "Two"})
	answer("Membership", 200, "PUT", "/organizations/org_2/members/u_3", map[string]any{"role": "admin"})
	w := e.createWebhook("/users/u_1", r.URL+"/shape", []string{"*"}, nil)
	answer("Webhook", 200, "GET", "/users/u_1/webhooks/"+w.ID, nil)
	answer("WebhookList", 200, "GET", "/users/u_1/webhooks", nil)
	answer("Webhook", 200, "PATCH", "/users/u_1/webhooks/"+w.ID, map[string]any{"name": "patched"})
	answer("Webhook", 201, "POST", "/users/u_1/webhooks", map[string]any{"url": r.URL + "/pocket",
		"events": []string{"summary.completed"}, "preset": "pocket"})
	answer("PublishAccepted", 202, "POST", "/events", map[string]any{"id": e.ev("evt_shape"), "event": "summary.completed",
		"user_id": "u_1", "data": map[string]any{"summary": map[string]any{"title": "t"}}})
	ds := e.waitDeliveries(e.ev("evt_shape"), 1)
	answer("Event", 200, "GET", "/events/"+e.ev("evt_shape"), nil)
	answer("Delivery", 200, "GET", "/deliveries/"+ds[0].ID, nil)
	answer("DeliveryList", 200, "GET", "/webhooks/"+w.ID+"/deliveries", nil)
	answer("WebhookStats", 200, "GET", "/webhooks/"+w.ID+"/stats", nil)
	answer("Replay", 202, "POST", "/webhooks/"+w.ID+"/replay", map[string]any{"status": []string{"succeeded"}})
	answer("Error", 422, "POST", "/events", map[string]any{"event": "summary.completed", "user_id": "u_1", "data": map[string]any{}})
	answer("Error", 404, "GET", "/deliveries/dlv_none", nil)
}
