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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/payload"
	"github.com/herald-webhooks/herald/internal/presets"
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

// contract is the document compiled for checking real traffic: every documented object schema
// that does not say otherwise is closed (additionalProperties false), so an answer with an
// undocumented field, or a test request with a field the document lacks, fails.
type contract struct {
	t     *testing.T
	doc   map[string]any
	c     *jsonschema.Compiler
	paths []contractPath
}

type contractPath struct {
	template string
	match    *regexp.Regexp
}

const contractBase = "https://herald.invalid/openapi.json"

func newContract(t *testing.T) *contract {
	t.Helper()
	_, raw := loadOpenAPI(t)
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, s := range schemas {
		closeObjects(s)
	}
	closed, _ := json.Marshal(doc)
	res, err := jsonschema.UnmarshalJSON(bytes.NewReader(closed))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(contractBase, res); err != nil {
		t.Fatal(err)
	}
	k := &contract{t: t, doc: doc, c: c}
	for path := range doc["paths"].(map[string]any) {
		re := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + "$"
		k.paths = append(k.paths, contractPath{template: path, match: regexp.MustCompile(re)})
	}
	return k
}

// closeObjects sets additionalProperties false on every object schema with properties that
// leaves it unsaid.
func closeObjects(v any) {
	switch s := v.(type) {
	case map[string]any:
		if _, ok := s["properties"]; ok {
			if _, said := s["additionalProperties"]; !said {
				s["additionalProperties"] = false
			}
		}
		for _, sub := range s {
			closeObjects(sub)
		}
	case []any:
		for _, sub := range s {
			closeObjects(sub)
		}
	}
}

// operation finds the documented operation of a concrete request path under /api/v1.
func (k *contract) operation(method, path string) (string, map[string]any) {
	k.t.Helper()
	full := "/api/v1" + strings.SplitN(path, "?", 2)[0]
	for _, p := range k.paths {
		if p.match.MatchString(full) {
			item := k.doc["paths"].(map[string]any)[p.template].(map[string]any)
			if op, ok := item[strings.ToLower(method)].(map[string]any); ok {
				return p.template, op
			}
		}
	}
	k.t.Fatalf("%s %s is not in the document", method, full)
	return "", nil
}

// schemaRef is the $ref of the JSON schema of a request body or a response (following a
// response $ref), "" when there is none.
func (k *contract) schemaRef(holder map[string]any) string {
	if r, ok := holder["$ref"].(string); ok && strings.HasPrefix(r, "#/components/responses/") {
		holder = k.doc["components"].(map[string]any)["responses"].(map[string]any)[strings.TrimPrefix(r, "#/components/responses/")].(map[string]any)
	}
	content, _ := holder["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	schema, _ := media["schema"].(map[string]any)
	r, _ := schema["$ref"].(string)
	return r
}

func (k *contract) validate(ref string, raw []byte) error {
	k.t.Helper()
	sch, err := k.c.Compile(contractBase + ref)
	if err != nil {
		k.t.Fatalf("compile %s: %v", ref, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

// TestAnswersMatchTheDocumentedShapes sends real requests and checks each against the
// document: the request body matches the operation's request schema, the answered status is
// one the operation lists, and the answer matches the schema documented for that status
// (OpenAPI 3.1 schemas are JSON Schema 2020-12), with no undocumented field.
func TestAnswersMatchTheDocumentedShapes(t *testing.T) {
	k := newContract(t)
	e := newEnv(t)
	// answer sends a request and checks it, its status and its answer against the document;
	// component is the schema the document must name for the answer.
	answer := func(component string, status int, method, path string, body any) []byte {
		t.Helper()
		template, op := k.operation(method, path)
		where := method + " " + template
		if body != nil {
			rb, _ := op["requestBody"].(map[string]any)
			ref := k.schemaRef(rb)
			if ref == "" {
				t.Fatalf("%s: the test sends a body the document does not describe", where)
			}
			raw, _ := json.Marshal(body)
			if err := k.validate(ref, raw); err != nil {
				t.Errorf("%s: the request %s does not match %s: %v", where, raw, ref, err)
			}
		}
		var out json.RawMessage
		if st := e.do(method, path, body, &out); st != status {
			t.Fatalf("%s %s = %d: %s", method, path, st, out)
		}
		resp, ok := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
		if !ok {
			t.Fatalf("%s answered %d, which the document does not list", where, status)
		}
		ref := k.schemaRef(resp)
		if ref != "#/components/schemas/"+component {
			t.Fatalf("%s %d: the document names %q, want %s", where, status, ref, component)
		}
		if err := k.validate(ref, out); err != nil {
			t.Errorf("%s does not match %s: %v\n%s", where, component, err, out)
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
	answer("User", 200, "PUT", "/users/u_4", map[string]any{})
	answer("Organization", 200, "PUT", "/organizations/org_2", map[string]any{"name": "Two"})
	answer("Membership", 200, "PUT", "/organizations/org_2/members/u_3", map[string]any{"role": "admin"})
	answer("Token", 201, "POST", "/users/u_3/tokens", map[string]any{"ttl_seconds": 600})
	answer("TokenList", 200, "GET", "/users/u_3/tokens", nil)
	w := e.createWebhook("/users/u_1", r.URL+"/shape", []string{"*"}, nil)
	answer("Webhook", 200, "GET", "/users/u_1/webhooks/"+w.ID, nil)
	answer("WebhookList", 200, "GET", "/users/u_1/webhooks", nil)
	answer("Webhook", 200, "PATCH", "/users/u_1/webhooks/"+w.ID, map[string]any{"name": "patched",
		"headers": map[string]any{"X-Team": "core"}, "retry": map[string]any{"max_attempts": 3}})
	answer("Webhook", 200, "PATCH", "/users/u_1/webhooks/"+w.ID, map[string]any{"description": nil,
		"headers": map[string]any{"X-Team": nil}, "retry": nil, "signing": map[string]any{"scheme": "standard"}})
	answer("WebhookWithSecret", 201, "POST", "/users/u_1/webhooks", map[string]any{"url": r.URL + "/pocket",
		"events": []string{"summary.completed"}, "preset": "pocket"})
	org := answer("WebhookWithSecret", 201, "POST", "/organization/org_1/webhooks", map[string]any{"url": r.URL + "/org",
		"name": "Org", "events": []string{"summary.completed"}, "active": true, "headers": map[string]any{"X-Team": "core"},
		"retry": map[string]any{"max_attempts": 2}, "signing": map[string]any{"scheme": "hmac-sha256", "header": "X-Sig"}})
	var orgHook webhook
	_ = json.Unmarshal(org, &orgHook)
	answer("Webhook", 200, "PUT", "/organization/org_1/webhooks/"+orgHook.ID, map[string]any{"url": r.URL + "/org",
		"events": []string{"summary.completed"}, "preset": "convo"})
	answer("Webhook", 200, "POST", "/webhooks/"+orgHook.ID+"/deactivate", nil)
	answer("ActivatedWebhook", 200, "POST", "/webhooks/"+orgHook.ID+"/activate", nil)
	if _, err := e.store.DB().Exec(`UPDATE webhooks SET status = 'disabled', disabled_reason = 'shape',
		disabled_at = now(), failing_since = now() - interval '1 hour' WHERE id = $1`, orgHook.ID); err != nil {
		t.Fatal(err)
	}
	answer("ActivatedWebhook", 200, "POST", "/webhooks/"+orgHook.ID+"/activate",
		map[string]any{"recover_since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
	answer("WebhookWithSecret", 200, "POST", "/webhooks/"+orgHook.ID+"/rotate-secret", map[string]any{"grace_seconds": 60})
	answer("WebhookWithSecret", 200, "POST", "/webhooks/"+orgHook.ID+"/rotate-secret", nil)
	answer("TestResult", 200, "POST", "/organization/org_1/webhooks/"+orgHook.ID+"/test", nil)
	answer("TestResult", 200, "POST", "/webhooks/"+w.ID+"/test", map[string]any{"event": "summary.completed"})
	answer("PublishAccepted", 202, "POST", "/events", map[string]any{"id": e.ev("evt_shape"), "event": "summary.completed",
		"user_id": "u_1", "data": map[string]any{"summary": map[string]any{"title": "t", "tags": []any{"a", 1, nil}}}})
	ds := e.waitDeliveries(e.ev("evt_shape"), 2) // the "*" and the pocket webhook
	answer("Event", 200, "GET", "/events/"+e.ev("evt_shape"), nil)
	answer("Delivery", 200, "GET", "/deliveries/"+ds[0].ID, nil)
	answer("Redelivery", 202, "POST", "/deliveries/"+ds[0].ID+"/redeliver", nil)
	answer("DeliveryList", 200, "GET", "/webhooks/"+w.ID+"/deliveries", nil)
	answer("DeliveryList", 200, "GET", "/users/u_1/deliveries?status=failed,succeeded", nil)
	answer("DeliveryList", 200, "GET", "/organization/org_1/deliveries?status=failed,held,cancelled", nil)
	answer("Error", 422, "GET", "/organization/org_1/deliveries?status=lost", nil)
	answer("WebhookStats", 200, "GET", "/webhooks/"+w.ID+"/stats", nil)
	rp := answer("Replay", 202, "POST", "/webhooks/"+w.ID+"/replay", map[string]any{"status": []string{"succeeded"}})
	var replay struct{ ID string }
	_ = json.Unmarshal(rp, &replay)
	answer("Replay", 200, "GET", "/replays/"+replay.ID, nil)
	answer("Replay", 202, "POST", "/webhooks/"+w.ID+"/replay", nil)
	answer("EventType", 200, "DELETE", "/event-types/summary.completed", nil)
	answer("Error", 422, "POST", "/events", map[string]any{"event": "summary.completed", "user_id": "u_1", "data": map[string]any{}})
	answer("Error", 404, "GET", "/deliveries/dlv_none", nil)
}

// TestOpenAPIEnumsAreTheServersNames keeps the document's lists of body shapes and presets the
// ones the server accepts: a shape or preset added without the document would be a value a
// generated client cannot send, or cannot read back.
func TestOpenAPIEnumsAreTheServersNames(t *testing.T) {
	_, raw := loadOpenAPI(t)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []any `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	enum := func(schema, prop string) []string {
		var out []string
		for _, v := range doc.Components.Schemas[schema].Properties[prop].Enum {
			if s, ok := v.(string); ok { // a patch's null is not a name
				out = append(out, s)
			}
		}
		sort.Strings(out)
		return out
	}
	shapes := payload.ShapeNames()
	sort.Strings(shapes)
	var names []string
	for _, p := range presets.All() {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	for _, c := range []struct {
		schema, prop string
		want         []string
	}{
		{"Webhook", "format", shapes}, {"WebhookInput", "format", shapes}, {"WebhookPatch", "format", shapes},
		{"WebhookInput", "preset", names},
	} {
		if got := enum(c.schema, c.prop); strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s.%s lists %v, the server takes %v", c.schema, c.prop, got, c.want)
		}
	}
}
