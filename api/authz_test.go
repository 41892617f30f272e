package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/api"
)

// policy is who may call a route.
type policy int

const (
	public     policy = iota // anyone, with or without a valid token
	anyCaller                // any admin key or user token
	adminOnly                // admin keys; a user token gets 403
	ownerRead                // admin keys; the personal owner; any member of the organization. Others 404
	ownerWrite               // admin keys; the personal owner; an organization's owner or admin (member 403). Others 404
)

var policyNames = map[policy]string{public: "public", anyCaller: "anyCaller", adminOnly: "adminOnly",
	ownerRead: "ownerRead", ownerWrite: "ownerWrite"}

// matrixRoute is one row of the authorization matrix: the route's policy and the request that
// exercises it. Path and body may hold placeholders (see (*matrix).expand):
//
//	{user} {org} {webhook} {delivery}  the target owner's user, organization, webhook, delivery
//	{newWebhook}                       a fresh active webhook of the target owner (for destructive routes)
//	{newUser} {newOrg} {newMember}     a fresh user; a fresh organization; a fresh member of {newOrg}
//	{newToken}                         a fresh token of {newUser}
//	{eventType} {newEventType} {event} an existing event type; a fresh one; the fixture event
//	{receiver}                         the URL of a receiver answering 200
//
// Owner policies are checked against every target their path names: {org} means the
// organization; {user} the owner's and the outsider's personal scopes; {webhook}, {delivery}
// or {newWebhook} alone all three.
type matrixRoute struct {
	policy policy
	path   string
	body   string
}

// matrixRoutes must name every route of the engine, and only those: a new route fails the
// matrix until it has a row here.
var matrixRoutes = map[string]matrixRoute{
	"GET /healthz": {public, "/healthz", ""},
	"GET /readyz":  {public, "/readyz", ""},

	"GET /api/v1/event-types":       {anyCaller, "/api/v1/event-types", ""},
	"PUT /api/v1/event-types/:name": {adminOnly, "/api/v1/event-types/{newEventType}", `{"group":"Matrix"}`},

	"PUT /api/v1/users/:id":                            {adminOnly, "/api/v1/users/{newUser}", `{"name":"New"}`},
	"DELETE /api/v1/users/:id":                         {adminOnly, "/api/v1/users/{newUser}", ""},
	"PUT /api/v1/organizations/:id":                    {adminOnly, "/api/v1/organizations/{newOrg}", `{"name":"New"}`},
	"DELETE /api/v1/organizations/:id":                 {adminOnly, "/api/v1/organizations/{newOrg}", ""},
	"PUT /api/v1/organizations/:id/members/:userId":    {adminOnly, "/api/v1/organizations/{newOrg}/members/{newUser}", `{"role":"admin"}`},
	"DELETE /api/v1/organizations/:id/members/:userId": {adminOnly, "/api/v1/organizations/{newOrg}/members/{newMember}", ""},
	"POST /api/v1/users/:id/tokens":                    {adminOnly, "/api/v1/users/{newUser}/tokens", `{"ttl_seconds":600}`},
	"GET /api/v1/users/:id/tokens":                     {adminOnly, "/api/v1/users/{newUser}/tokens", ""},
	"DELETE /api/v1/users/:id/tokens":                  {adminOnly, "/api/v1/users/{newUser}/tokens", ""},
	"DELETE /api/v1/users/:id/tokens/:tokenId":         {adminOnly, "/api/v1/users/{newUser}/tokens/{newToken}", ""},
	"POST /api/v1/events":                              {adminOnly, "/api/v1/events", `{"event":"{eventType}","user_id":"{newUser}","data":{}}`},
	"GET /api/v1/events/:id":                           {adminOnly, "/api/v1/events/{event}", ""},
	"GET /api/v1/organization/:id/webhooks":            {ownerRead, "/api/v1/organization/{org}/webhooks", ""},
	"POST /api/v1/organization/:id/webhooks":           {ownerWrite, "/api/v1/organization/{org}/webhooks", `{"url":"{receiver}","events":["*"]}`},
	"GET /api/v1/users/:id/webhooks":                   {ownerRead, "/api/v1/users/{user}/webhooks", ""},
	"POST /api/v1/users/:id/webhooks":                  {ownerWrite, "/api/v1/users/{user}/webhooks", `{"url":"{receiver}","events":["*"]}`},
	"GET /api/v1/webhooks/:id/deliveries":              {ownerRead, "/api/v1/webhooks/{webhook}/deliveries", ""},
	"GET /api/v1/deliveries/:id":                       {ownerRead, "/api/v1/deliveries/{delivery}", ""},
	"GET /api/v1/organization/:id/deliveries":          {ownerRead, "/api/v1/organization/{org}/deliveries", ""},
	"GET /api/v1/users/:id/deliveries":                 {ownerRead, "/api/v1/users/{user}/deliveries", ""},
	"POST /api/v1/deliveries/:id/redeliver":            {ownerWrite, "/api/v1/deliveries/{delivery}/redeliver", ""},
	"GET /metrics":                                     {public, "/metrics", ""},
	"GET /api/v1/openapi.json":                         {public, "/api/v1/openapi.json", ""},

	"GET /api/v1/event-types/:name":    {anyCaller, "/api/v1/event-types/{eventType}", ""},
	"DELETE /api/v1/event-types/:name": {adminOnly, "/api/v1/event-types/{newEventType}", ""},
	"PATCH /api/v1/event-types/:name":  {adminOnly, "/api/v1/event-types/{eventType}", `{"description":"Matrix"}`},

	"GET /api/v1/organization/:id/webhooks/:webhookId":       {ownerRead, "/api/v1/organization/{org}/webhooks/{webhook}", ""},
	"PUT /api/v1/organization/:id/webhooks/:webhookId":       {ownerWrite, "/api/v1/organization/{org}/webhooks/{webhook}", `{"url":"{receiver}","events":["*"]}`},
	"PATCH /api/v1/organization/:id/webhooks/:webhookId":     {ownerWrite, "/api/v1/organization/{org}/webhooks/{webhook}", `{"name":"patched"}`},
	"DELETE /api/v1/organization/:id/webhooks/:webhookId":    {ownerWrite, "/api/v1/organization/{org}/webhooks/{newWebhook}", ""},
	"POST /api/v1/organization/:id/webhooks/:webhookId/test": {ownerWrite, "/api/v1/organization/{org}/webhooks/{webhook}/test", ""},
	"GET /api/v1/users/:id/webhooks/:webhookId":              {ownerRead, "/api/v1/users/{user}/webhooks/{webhook}", ""},
	"PUT /api/v1/users/:id/webhooks/:webhookId":              {ownerWrite, "/api/v1/users/{user}/webhooks/{webhook}", `{"url":"{receiver}","events":["*"]}`},
	"PATCH /api/v1/users/:id/webhooks/:webhookId":            {ownerWrite, "/api/v1/users/{user}/webhooks/{webhook}", `{"name":"patched"}`},
	"DELETE /api/v1/users/:id/webhooks/:webhookId":           {ownerWrite, "/api/v1/users/{user}/webhooks/{newWebhook}", ""},
	"POST /api/v1/users/:id/webhooks/:webhookId/test":        {ownerWrite, "/api/v1/users/{user}/webhooks/{webhook}/test", ""},
	"POST /api/v1/webhooks/:id/activate":                     {ownerWrite, "/api/v1/webhooks/{webhook}/activate", ""},
	"POST /api/v1/webhooks/:id/deactivate":                   {ownerWrite, "/api/v1/webhooks/{newWebhook}/deactivate", ""},
	"POST /api/v1/webhooks/:id/rotate-secret":                {ownerWrite, "/api/v1/webhooks/{newWebhook}/rotate-secret", ""},
	"POST /api/v1/webhooks/:id/test":                         {ownerWrite, "/api/v1/webhooks/{webhook}/test", ""},
	"GET /api/v1/webhooks/:id/stats":                         {ownerRead, "/api/v1/webhooks/{webhook}/stats", ""},
	"POST /api/v1/deliveries/:id/cancel":                     {ownerWrite, "/api/v1/deliveries/{delivery}/cancel", ""},
	"POST /api/v1/webhooks/:id/replay":                       {ownerWrite, "/api/v1/webhooks/{webhook}/replay", `{"status":["failed"]}`},
	"GET /api/v1/replays/:id":                                {ownerRead, "/api/v1/replays/{replay}", ""},
}

// caller is one principal of the matrix.
type caller struct {
	name   string
	auth   string // Authorization header value, "" for none
	valid  bool   // a valid admin key or token
	admin  bool
	userID string
}

// target is an owner whose resources a request addresses.
type target struct {
	name                         string
	user, org, webhook, delivery string
	scope                        string // "/users/alice" or "/organization/acme"
}

type matrix struct {
	e        *env
	ctx      context.Context
	receiver string
	event    string
	roles    map[string]string // user -> role in acme
	callers  []caller
	targets  map[string]target
	seq      int
}

func TestAuthorizationMatrixCoversEveryRouteAndPrincipal(t *testing.T) {
	e := newEnv(t)
	m := newMatrix(t, e)

	srv := &api.Server{Store: e.store, Temporal: stack.Client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var engineRoutes []string
	for _, r := range srv.Engine().Routes() {
		engineRoutes = append(engineRoutes, r.Method+" "+r.Path)
	}
	slices.Sort(engineRoutes)

	t.Run("every route of the engine has a row in the matrix and every row is a route", func(t *testing.T) {
		for _, r := range engineRoutes {
			if _, ok := matrixRoutes[r]; !ok {
				t.Errorf("route %q has no entry in matrixRoutes: add its policy and request", r)
			}
		}
		for r := range matrixRoutes {
			if !slices.Contains(engineRoutes, r) {
				t.Errorf("matrixRoutes names %q, which the engine does not have", r)
			}
		}
	})

	checks := 0
	for _, key := range engineRoutes {
		rt, ok := matrixRoutes[key]
		if !ok {
			continue
		}
		method := strings.SplitN(key, " ", 2)[0]
		t.Run(key+" is "+policyNames[rt.policy], func(t *testing.T) {
			for _, tg := range m.targetsOf(t, rt) {
				for _, cl := range m.callers {
					path, body := m.expand(t, rt.path, tg), m.expand(t, rt.body, tg)
					got, answer := m.call(t, method, path, cl.auth, body)
					want := m.expect(rt.policy, cl, tg)
					checks++
					if want == 0 {
						if !allowed(got) {
							t.Errorf("%s %s as %s (target %s) = %d, want allowed (2xx, 400, 409 or 422): %s",
								method, path, cl.name, tg.name, got, answer)
						}
					} else if got != want {
						t.Errorf("%s %s as %s (target %s) = %d, want %d: %s", method, path, cl.name, tg.name, got, want, answer)
					}
				}
			}
		})
	}
	t.Logf("%d routes, %d callers, %d requests checked", len(engineRoutes), len(m.callers), checks)
}

// allowed is what a permitted request answers: success, or a refusal of its content.
func allowed(status int) bool {
	return status/100 == 2 || status == 400 || status == 409 || status == 422
}

// expect is the status the policy gives the caller on the target, 0 for allowed.
func (m *matrix) expect(p policy, cl caller, tg target) int {
	switch {
	case p == public:
		return 0
	case !cl.valid:
		return http.StatusUnauthorized
	case p == anyCaller || cl.admin:
		return 0
	case p == adminOnly:
		return http.StatusForbidden
	}
	if tg.org == "" {
		if tg.user == cl.userID {
			return 0
		}
		return http.StatusNotFound
	}
	switch role := m.roles[cl.userID]; {
	case role == "":
		return http.StatusNotFound
	case p == ownerWrite && role != "owner" && role != "admin":
		return http.StatusForbidden
	}
	return 0
}

func newMatrix(t *testing.T, e *env) *matrix {
	t.Helper()
	ctx := context.Background()
	m := &matrix{e: e, ctx: ctx, targets: map[string]target{},
		roles: map[string]string{"alice": "owner", "adam": "admin", "mia": "member"}}
	r := newReceiver(t)
	m.receiver = r.URL + "/matrix"

	e.mustDo(200, "PUT", "/event-types/summary.completed", map[string]any{"group": "Processing"}, nil)
	for _, u := range []string{"alice", "adam", "mia", "oscar"} {
		e.mustDo(200, "PUT", "/users/"+u, map[string]any{"name": u}, nil)
	}
	e.mustDo(200, "PUT", "/organizations/acme", map[string]any{"name": "Acme"}, nil)
	for u, role := range m.roles {
		e.mustDo(200, "PUT", "/organizations/acme/members/"+u, map[string]any{"role": role}, nil)
	}
	for _, tg := range []target{
		{name: "alice's personal webhooks", user: "alice", scope: "/users/alice"},
		{name: "oscar's personal webhooks", user: "oscar", scope: "/users/oscar"},
		{name: "acme's webhooks", org: "acme", scope: "/organization/acme"},
	} {
		tg.webhook = e.createWebhook(tg.scope, m.receiver, []string{"*"}, nil).ID
		m.targets[tg.scope] = tg
	}
	// One event of alice's goes to her webhook and to acme's; one of oscar's to his.
	for _, u := range []string{"alice", "oscar"} {
		id := e.ev("evt_matrix_" + u)
		e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": "summary.completed", "user_id": u, "data": map[string]any{}}, nil)
		m.event = id
		for _, d := range e.waitDeliveries(id, map[string]int{"alice": 2, "oscar": 1}[u]) {
			for k, tg := range m.targets {
				if tg.webhook == d.WebhookID {
					tg.delivery = d.ID
					m.targets[k] = tg
				}
			}
		}
	}
	for _, tg := range m.targets {
		if tg.delivery == "" {
			t.Fatalf("no fixture delivery for %s", tg.name)
		}
	}

	token := func(user string) string {
		var tok struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		}
		e.mustDo(201, "POST", "/users/"+user+"/tokens", map[string]any{"ttl_seconds": 3600}, &tok)
		return tok.Token
	}
	m.callers = []caller{{name: "admin key", auth: "Bearer " + adminKey, valid: true, admin: true}}
	for _, u := range []struct{ name, id string }{
		{"organization owner", "alice"}, {"organization admin", "adam"}, {"organization member", "mia"}, {"outsider", "oscar"},
	} {
		m.callers = append(m.callers, caller{name: u.name, auth: "Bearer " + token(u.id), valid: true, userID: u.id})
	}

	const revokedKey = "hk_matrix_revoked"
	keyID, err := e.store.CreateAPIKey(ctx, "revoked", revokedKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.RevokeAPIKey(ctx, keyID); err != nil {
		t.Fatal(err)
	}
	const expired = api.TokenPrefix + "matrix_expired"
	if _, err := e.store.CreateUserToken(ctx, "alice", expired, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	var rev struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	e.mustDo(201, "POST", "/users/alice/tokens", nil, &rev)
	if code := e.do("DELETE", "/users/alice/tokens/"+rev.ID, nil, nil); code != 204 {
		t.Fatalf("revoke token = %d", code)
	}
	m.callers = append(m.callers,
		caller{name: "revoked admin key", auth: "Bearer " + revokedKey},
		caller{name: "expired token", auth: "Bearer " + expired},
		caller{name: "revoked token", auth: "Bearer " + rev.Token},
		caller{name: "no token"},
	)
	return m
}

// targetsOf is the targets a route's request is checked against.
func (m *matrix) targetsOf(t *testing.T, rt matrixRoute) []target {
	t.Helper()
	alice, oscar, acme := m.targets["/users/alice"], m.targets["/users/oscar"], m.targets["/organization/acme"]
	if rt.policy != ownerRead && rt.policy != ownerWrite {
		return []target{{name: "none"}}
	}
	switch {
	case strings.Contains(rt.path, "{org}"):
		return []target{acme}
	case strings.Contains(rt.path, "{user}"):
		return []target{alice, oscar}
	case strings.Contains(rt.path, "{webhook}"), strings.Contains(rt.path, "{delivery}"), strings.Contains(rt.path, "{newWebhook}"),
		strings.Contains(rt.path, "{replay}"):
		return []target{alice, oscar, acme}
	}
	t.Fatalf("owner route %s names no owner placeholder", rt.path)
	return nil
}

// expand replaces the placeholders of s, creating the fresh resources it asks for.
func (m *matrix) expand(t *testing.T, s string, tg target) string {
	t.Helper()
	if !strings.Contains(s, "{") {
		return s
	}
	m.seq++
	fresh := func(kind string) string { return kind + "_" + m.e.name + "_" + strconv.Itoa(m.seq) }
	repl := map[string]string{
		"{user}": tg.user, "{org}": tg.org, "{webhook}": tg.webhook, "{delivery}": tg.delivery,
		"{event}": m.event, "{eventType}": "summary.completed", "{receiver}": m.receiver,
	}
	newUser, newOrg := fresh("user"), fresh("org")
	if strings.Contains(s, "{newUser}") || strings.Contains(s, "{newToken}") {
		m.must(t, m.e.store.UpsertUser(m.ctx, herald.User{ID: newUser}))
		repl["{newUser}"] = newUser
	}
	if strings.Contains(s, "{newOrg}") {
		m.must(t, m.e.store.UpsertOrganization(m.ctx, herald.Organization{ID: newOrg}))
		repl["{newOrg}"] = newOrg
	}
	if strings.Contains(s, "{newMember}") {
		member := fresh("member")
		m.must(t, m.e.store.UpsertUser(m.ctx, herald.User{ID: member}))
		m.must(t, m.e.store.UpsertMembership(m.ctx, herald.Membership{OrganizationID: newOrg, UserID: member, Role: "member"}))
		repl["{newMember}"] = member
	}
	if strings.Contains(s, "{newToken}") {
		tok, err := m.e.store.CreateUserToken(m.ctx, newUser, api.TokenPrefix+fresh("tok"), time.Now().Add(time.Hour))
		m.must(t, err)
		repl["{newToken}"] = tok.ID
	}
	if strings.Contains(s, "{newEventType}") {
		name := fresh("matrix.type")
		m.must(t, m.e.store.UpsertEventType(m.ctx, herald.EventType{Name: name}))
		repl["{newEventType}"] = name
	}
	if strings.Contains(s, "{replay}") {
		r := &herald.Replay{ID: fresh("rpl"), WebhookID: tg.webhook, Statuses: []herald.DeliveryStatus{"failed"}}
		m.must(t, m.e.store.CreateReplay(m.ctx, r))
		repl["{replay}"] = r.ID
	}
	if strings.Contains(s, "{newWebhook}") {
		repl["{newWebhook}"] = m.e.createWebhook(tg.scope, m.receiver, []string{"*"}, nil).ID
	}
	for k, v := range repl {
		s = strings.ReplaceAll(s, k, v)
	}
	if p := placeholder.FindString(s); p != "" {
		t.Fatalf("unknown placeholder %s in %q", p, s)
	}
	return s
}

var placeholder = regexp.MustCompile(`\{[A-Za-z]+\}`)

func (m *matrix) must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// call sends one request to the API's full path and returns the status and the answer.
func (m *matrix) call(t *testing.T, method, path, auth, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, m.e.api.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
	return resp.StatusCode, string(raw)
}
