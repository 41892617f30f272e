package api_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/starter"
)

// snapshot is every row of every table of the env's database, to show a request changed nothing.
func (e *env) snapshot() map[string]string {
	e.t.Helper()
	var tables []string
	if err := e.store.DB().Select(&tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`); err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range tables {
		var sum string
		q := fmt.Sprintf(`SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM %q t`, name)
		if err := e.store.DB().Get(&sum, q); err != nil {
			e.t.Fatal(err)
		}
		out[name] = sum
	}
	return out
}

// TestHostileInputOnEveryRouteIsA4xxAndChangesNothing sends every route of the OpenAPI
// document hostile input (NUL bytes, invalid UTF-8 and non-ASCII ids in each path parameter;
// null, array and scalar bodies, unknown and read-only fields, NUL and invalid UTF-8 in
// strings, numbers beyond a double, 600 levels of nesting in each body; bad queries; other
// tenants' ids with a user token) and checks that each answer is a 4xx, nothing is logged at
// ERROR, and no row of any table changed.
func TestHostileInputOnEveryRouteIsA4xxAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	mine := e.createWebhook("/users/u_1", r.URL+"/mine", []string{"summary.completed"}, nil)
	org := e.createWebhook("/organization/org_1", r.URL+"/org", []string{"summary.completed"}, nil)
	theirs := e.createWebhook("/users/u_2", r.URL+"/theirs", []string{"summary.completed"}, nil)
	evt := e.ev("evt_hostile")
	e.mustDo(202, "POST", "/events", map[string]any{"id": evt, "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}, nil)
	dlv := e.waitDeliveries(evt, 2)[0].ID // the personal and the organization webhook
	var tok struct{ Token string }
	e.mustDo(201, "POST", "/users/u_1/tokens", map[string]any{}, &tok)

	logs := &logRecords{}
	srv := &api.Server{Store: e.store, Temporal: stack.Client, Logger: slog.New(logs),
		Publisher: &starter.Publisher{Store: e.store, Temporal: stack.Client, TaskQueue: e.queue}}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	e.api = ts
	before := e.snapshot()

	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	// real is the value of a path parameter that names something that exists.
	real := func(path, param string) string {
		switch {
		case param == "webhookId" && strings.HasPrefix(path, "/api/v1/organization/"):
			return org.ID
		case param == "webhookId":
			return mine.ID
		case param == "userId":
			return "u_1"
		case param == "tokenId":
			return "tok_none"
		case param == "name":
			return "summary.completed"
		case strings.HasPrefix(path, "/api/v1/organization"):
			return "org_1"
		case strings.HasPrefix(path, "/api/v1/users/"):
			return "u_1"
		case strings.HasPrefix(path, "/api/v1/webhooks/"):
			return mine.ID
		case strings.HasPrefix(path, "/api/v1/events/"):
			return evt
		case strings.HasPrefix(path, "/api/v1/deliveries/"):
			return dlv
		}
		return "rpl_none"
	}
	fill := func(path string, override map[string]string) string {
		out := path
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") {
				name := strings.Trim(seg, "{}")
				v, ok := override[name]
				if !ok {
					v = real(path, name)
				}
				out = strings.Replace(out, seg, url.PathEscape(v), 1)
			}
		}
		return strings.TrimPrefix(out, "/api/v1")
	}
	deep := strings.Repeat("[", 600) + strings.Repeat("]", 600)
	hostileIDs := []string{"a\x00b", "a\xffb", "evt_ü", "\u2028", theirs.ID + "\x00"}
	hostileBodies := []string{`null`, `[]`, `"x"`, `1e400`, `{"zz_unknown":1}`, `{"name":"a\u0000"}`, "{\"name\":\"\xff\"}",
		`{"retry":{"foo":1}}`, `{"status":"disabled"}`, `{"ttl_seconds":1e400}`, `{"timeout_seconds":1e400}`,
		`{"grace_seconds":-1e400}`, `{"deep":` + deep + `}`, `{"id":"` + theirs.ID + `","zz":1}`,
		`{"event":"summary.completed","user_id":"u_1","data":{"x":1e400}}`,
		`{"event":"summary.completed","user_id":"u_1","data":{"d":` + deep + `}}`,
		`{"event":"summary.completed","user_id":"u_ü","data":{}}`,
		`{"example":{"n":1e400}}`, `{"url":"http://127.0.0.1:1/x","headers":{"X-A":"a\u0001"}}`}
	hostileQueries := []string{"cursor=%00", "cursor=%FF", "limit=1e400", "limit=%FF", "status=%00", "event=%FF",
		"since=%00", "until=%FF", "window=%00", "%zz=1", "a=%zz"}
	var paths []string
	for p := range doc.Paths {
		if strings.HasPrefix(p, "/api/v1/") && p != "/api/v1/openapi.json" {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)

	requests := 0
	check := func(method, path, auth, body string) {
		t.Helper()
		requests++
		var out json.RawMessage
		var b any
		if body != "" {
			b = []byte(body)
		}
		code := e.doWith(method, path, auth, b, &out)
		if code < 400 || code > 499 {
			t.Errorf("%s %s %.80q = %d %s, want a 4xx", method, path, body, code, out)
		}
	}
	admin, user := "Bearer "+adminKey, "Bearer "+tok.Token
	for _, p := range paths {
		for method, op := range doc.Paths[p] {
			method = strings.ToUpper(method)
			var params []string
			for _, seg := range strings.Split(p, "/") {
				if strings.HasPrefix(seg, "{") {
					params = append(params, strings.Trim(seg, "{}"))
				}
			}
			for _, name := range params {
				for _, v := range hostileIDs {
					check(method, fill(p, map[string]string{name: v}), admin, "")
				}
			}
			if method == "GET" {
				for _, q := range hostileQueries {
					sep := "?"
					if strings.Contains(p, "?") {
						sep = "&"
					}
					if !strings.Contains(p, "{") || len(params) > 0 {
						path := fill(p, nil) + sep + q
						var out json.RawMessage
						requests++
						if code := e.doWith("GET", path, admin, nil, &out); code >= 500 {
							t.Errorf("GET %s = %d %s, want no 5xx", path, code, out)
						}
					}
				}
			}
			if strings.Contains(string(op), `"requestBody"`) {
				for _, body := range hostileBodies {
					check(method, fill(p, nil), admin, body)
				}
			}
			// Another tenant's webhook with u_1's token: never found.
			if strings.HasPrefix(p, "/api/v1/webhooks/{id}") || strings.HasPrefix(p, "/api/v1/users/{id}/webhooks/{webhookId}") {
				body := ""
				if strings.Contains(string(op), `"requestBody"`) {
					body = `{}`
				}
				check(method, fill(p, map[string]string{"id": theirs.ID, "webhookId": theirs.ID}), user, body)
				if strings.HasPrefix(p, "/api/v1/users/") {
					check(method, fill(p, map[string]string{"id": "u_2", "webhookId": theirs.ID}), user, body)
				}
			}
		}
	}
	if requests < 500 {
		t.Fatalf("only %d requests: the route table was not read", requests)
	}
	if errs := logs.find(slog.LevelError, ""); len(errs) > 0 {
		t.Errorf("%d requests logged at ERROR, e.g. %q", len(errs), errs[0])
	}
	after := e.snapshot()
	for table, sum := range before {
		if after[table] != sum {
			t.Errorf("table %s changed", table)
		}
	}
	t.Logf("%d hostile requests over %d paths", requests, len(paths))
}
