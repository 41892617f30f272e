package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/wire"
)

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Details []struct {
			Field string `json:"field"`
		} `json:"details"`
	} `json:"error"`
}

// dump is the directory's rows as text, to show that a refused request changed nothing.
func (e *env) dump() string {
	e.t.Helper()
	var rows []string
	err := e.store.DB().SelectContext(context.Background(), &rows, `
		SELECT row_to_json(x)::text FROM (SELECT id, email, name, deleted_at FROM users ORDER BY id) x
		UNION ALL SELECT row_to_json(x)::text FROM (SELECT id, name, deleted_at FROM organizations ORDER BY id) x
		UNION ALL SELECT row_to_json(x)::text FROM (SELECT organization_id, user_id, role FROM memberships ORDER BY 1, 2) x
		UNION ALL SELECT row_to_json(x)::text FROM (SELECT id, revoked_at FROM user_tokens ORDER BY id) x`)
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

func (e *env) scalar(query string, args ...any) string {
	e.t.Helper()
	var s string
	if err := e.store.DB().GetContext(context.Background(), &s, query, args...); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return s
}

type mintedToken struct {
	ID        string    `json:"id"`
	Token     string    `json:"token"`
	UserID    string    `json:"user_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (e *env) mint(user string, body any) mintedToken {
	e.t.Helper()
	var tok mintedToken
	e.mustDo(201, "POST", "/users/"+user+"/tokens", body, &tok)
	return tok
}

// as is the status of a request made with a user token.
func (e *env) as(tok mintedToken, method, path string, body any) int {
	e.t.Helper()
	return e.doWith(method, path, "Bearer "+tok.Token, body, nil)
}

func TestDirectoryPutRefusesBadInputAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.directory()
	long := strings.Repeat("x", 201)
	cases := []struct {
		name, method, path string
		body               string
		status             int
		code, field        string
	}{
		{"a user id with a space", "PUT", "/users/bad%20id", `{}`, 422, "validation_failed", "id"},
		{"an email that is no address", "PUT", "/users/u_1", `{"email":"ada at example"}`, 422, "validation_failed", "email"},
		{"an email with a display name", "PUT", "/users/u_1", `{"email":"Ada <ada@example.com>"}`, 422, "validation_failed", "email"},
		{"a name over 200 characters", "PUT", "/users/u_1", `{"name":"` + long + `"}`, 422, "validation_failed", "name"},
		{"a name that is a number", "PUT", "/users/u_1", `{"name":5}`, 400, "malformed_request", "name"},
		{"a body that is not JSON", "PUT", "/users/u_1", `{"name":`, 400, "malformed_request", ""},
		{"an organization name over 200 characters", "PUT", "/organizations/org_1", `{"name":"` + long + `"}`, 422, "validation_failed", "name"},
		{"an organization name that is an array", "PUT", "/organizations/org_1", `{"name":["Acme"]}`, 400, "malformed_request", "name"},
		{"an organization id with a punctuation mark", "PUT", "/organizations/%21org", `{}`, 422, "validation_failed", "id"},
		{"an unknown role", "PUT", "/organizations/org_1/members/u_2", `{"role":"boss"}`, 422, "validation_failed", "role"},
		{"a missing role", "PUT", "/organizations/org_1/members/u_2", `{}`, 422, "validation_failed", "role"},
		{"a member who is not a user", "PUT", "/organizations/org_1/members/u_404", `{"role":"member"}`, 404, "not_found", ""},
		{"a member of an unknown organization", "PUT", "/organizations/org_404/members/u_2", `{"role":"member"}`, 404, "not_found", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is a "+tc.code, func(t *testing.T) {
			before := e.dump()
			var got apiError
			if status := e.do(tc.method, tc.path, tc.body, &got); status != tc.status {
				t.Fatalf("%s %s = %d, want %d", tc.method, tc.path, status, tc.status)
			}
			if got.Error.Code != tc.code {
				t.Fatalf("code %q, want %q", got.Error.Code, tc.code)
			}
			if tc.field != "" && (len(got.Error.Details) == 0 || got.Error.Details[0].Field != tc.field) {
				t.Fatalf("details %+v, want field %q", got.Error.Details, tc.field)
			}
			if after := e.dump(); after != before {
				t.Fatalf("the directory changed:\n%s\nto\n%s", before, after)
			}
		})
	}

	t.Run("a PUT replaces the whole entry", func(t *testing.T) {
		e.mustDo(200, "PUT", "/users/u_1", map[string]any{"email": "ada@new.example"}, nil)
		if got := e.scalar(`SELECT email || '|' || name FROM users WHERE id = 'u_1'`); got != "ada@new.example|" {
			t.Fatalf("user is %q", got)
		}
		e.mustDo(200, "PUT", "/organizations/org_1/members/u_1", map[string]any{"role": "admin"}, nil)
		if got := e.scalar(`SELECT role FROM memberships WHERE organization_id = 'org_1' AND user_id = 'u_1'`); got != "admin" {
			t.Fatalf("role is %q", got)
		}
	})
}

func TestDeleteUserDeletesItsWebhooksMembershipsAndTokensAndKeepsTheLog(t *testing.T) {
	e := newEnv(t)
	e.directory() // u_1 is a member of org_1
	r := newReceiver(t)
	r.answer = func(path string, n int) int {
		if path == "/failing" {
			return 500
		}
		return 200
	}
	retry := map[string]any{"max_attempts": 5, "initial_interval_seconds": 2, "backoff_coefficient": 1, "max_interval_seconds": 2}
	personal := e.createWebhook("/users/u_1", r.URL+"/failing", []string{"*"}, map[string]any{"retry": retry})
	org := e.createWebhook("/organization/org_1", r.URL+"/org", []string{"*"}, nil)
	tok := e.mint("u_1", nil)

	evt := e.ev("evt_delete_user")
	e.mustDo(202, "POST", "/events", map[string]any{"id": evt, "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}, nil)
	for len(r.requests("/failing")) == 0 {
		select {
		case <-r.notified:
		case <-time.After(30 * time.Second):
			t.Fatal("the failing webhook never got its first attempt")
		}
	}
	var ev struct {
		Deliveries []delivery `json:"deliveries"`
	}
	e.mustDo(200, "GET", "/events/"+evt, nil, &ev)
	pending := ""
	for _, d := range ev.Deliveries {
		if d.WebhookID == personal.ID {
			pending = d.ID
		}
	}
	if pending == "" {
		t.Fatalf("no delivery to the personal webhook: %+v", ev.Deliveries)
	}

	if status := e.do("DELETE", "/users/u_1", nil, nil); status != 204 {
		t.Fatalf("DELETE /users/u_1 = %d, want 204", status)
	}

	t.Run("the pending delivery is cancelled and gets no further attempt", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var res wire.DeliveryResult
		// Cancelled by the deletion's cancel-deliveries workflow, or stopped at its next attempt.
		if err := stack.Client.GetWorkflow(ctx, wire.DeliveryWorkflowID(evt, personal.ID), "").Get(ctx, &res); err != nil && !temporal.IsCanceledError(err) {
			t.Fatalf("delivery workflow: %v", err)
		}
		if n := len(r.requests("/failing")); n != 1 {
			t.Fatalf("the deleted user's webhook got %d requests, want 1", n)
		}
		var d delivery
		e.mustDo(200, "GET", "/deliveries/"+pending, nil, &d)
		if d.Status != "cancelled" || len(d.AttemptLog) != 1 {
			t.Fatalf("delivery %+v, want cancelled with its one attempt still in the log", d)
		}
	})

	t.Run("the user, its webhooks and its personal data are gone", func(t *testing.T) {
		var e404 apiError
		if status := e.do("GET", "/users/u_1/webhooks", nil, &e404); status != 404 {
			t.Fatalf("list the deleted user's webhooks = %d, want 404", status)
		}
		if got := e.scalar(`SELECT (deleted_at IS NOT NULL)::text FROM webhooks WHERE id = $1`, personal.ID); got != "true" {
			t.Fatal("the personal webhook is not deleted")
		}
		if got := e.scalar(`SELECT email || name FROM users WHERE id = 'u_1'`); got != "" {
			t.Fatalf("the deleted user's email and name are kept: %q", got)
		}
		if got := e.scalar(`SELECT (deleted_at IS NULL)::text FROM webhooks WHERE id = $1`, org.ID); got != "true" {
			t.Fatal("the organization's webhook was deleted with a member")
		}
	})

	t.Run("its memberships are removed and its tokens revoked", func(t *testing.T) {
		if got := e.scalar(`SELECT count(*)::text FROM memberships WHERE user_id = 'u_1'`); got != "0" {
			t.Fatalf("%s memberships left", got)
		}
		if got := e.scalar(`SELECT (revoked_at IS NOT NULL)::text FROM user_tokens WHERE id = $1`, tok.ID); got != "true" {
			t.Fatal("the token is not revoked")
		}
		if status := e.as(tok, "GET", "/organization/org_1/webhooks", nil); status != 401 {
			t.Fatalf("the deleted user's token = %d, want 401", status)
		}
	})

	t.Run("deleting it again, or an unknown user, is a 404", func(t *testing.T) {
		for _, path := range []string{"/users/u_1", "/users/u_404"} {
			var got apiError
			if status := e.do("DELETE", path, nil, &got); status != 404 || got.Error.Code != "not_found" {
				t.Fatalf("DELETE %s = %d %q, want 404 not_found", path, status, got.Error.Code)
			}
		}
	})

	t.Run("a PUT brings the user back empty: no webhooks, no membership, old tokens stay revoked", func(t *testing.T) {
		e.mustDo(200, "PUT", "/users/u_1", map[string]any{"name": "Ada again"}, nil)
		var hooks struct {
			Data []webhook `json:"data"`
		}
		e.mustDo(200, "GET", "/users/u_1/webhooks", nil, &hooks)
		if len(hooks.Data) != 0 {
			t.Fatalf("the user came back with webhooks %+v", hooks.Data)
		}
		if status := e.as(tok, "GET", "/users/u_1/webhooks", nil); status != 401 {
			t.Fatalf("the old token = %d, want 401", status)
		}
		// An event of the user no longer reaches the organization it left.
		again := e.ev("evt_delete_user_again")
		e.mustDo(202, "POST", "/events", map[string]any{"id": again, "event": "summary.completed", "user_id": "u_1", "data": map[string]any{}}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := stack.Client.GetWorkflow(ctx, wire.EventWorkflowID(again), "").Get(ctx, nil); err != nil {
			t.Fatalf("event workflow: %v", err)
		}
		var ev struct {
			Deliveries []delivery `json:"deliveries"`
		}
		e.mustDo(200, "GET", "/events/"+again, nil, &ev)
		if len(ev.Deliveries) != 0 {
			t.Fatalf("deliveries %+v, want none", ev.Deliveries)
		}
	})
}

func TestDeleteOrganizationAndMember(t *testing.T) {
	e := newEnv(t)
	e.directory() // u_1 is a member of org_1
	r := newReceiver(t)
	org := e.createWebhook("/organization/org_1", r.URL+"/org", []string{"*"}, nil)
	e.createWebhook("/users/u_1", r.URL+"/personal", []string{"*"}, nil)
	tok := e.mint("u_1", nil)

	t.Run("the role decides what a member may do with the organization's webhooks", func(t *testing.T) {
		create := map[string]any{"url": r.URL + "/new", "events": []string{"*"}}
		if status := e.as(tok, "GET", "/organization/org_1/webhooks", nil); status != 200 {
			t.Fatalf("member reads = %d, want 200", status)
		}
		if status := e.as(tok, "POST", "/organization/org_1/webhooks", create); status != 403 {
			t.Fatalf("member creates = %d, want 403", status)
		}
		e.mustDo(200, "PUT", "/organizations/org_1/members/u_1", map[string]any{"role": "admin"}, nil)
		if status := e.as(tok, "POST", "/organization/org_1/webhooks", create); status != 201 {
			t.Fatalf("admin creates = %d, want 201", status)
		}
	})

	t.Run("a removed member no longer sees the organization", func(t *testing.T) {
		if status := e.do("DELETE", "/organizations/org_1/members/u_1", nil, nil); status != 204 {
			t.Fatalf("DELETE member = %d, want 204", status)
		}
		if status := e.as(tok, "GET", "/organization/org_1/webhooks", nil); status != 404 {
			t.Fatalf("former member reads = %d, want 404", status)
		}
		if status := e.do("DELETE", "/organizations/org_1/members/u_1", nil, nil); status != 404 {
			t.Fatalf("DELETE the membership again = %d, want 404", status)
		}
		e.mustDo(200, "PUT", "/organizations/org_1/members/u_1", map[string]any{"role": "member"}, nil)
	})

	t.Run("a deleted organization's webhooks and memberships go; its members keep their own", func(t *testing.T) {
		if status := e.do("DELETE", "/organizations/org_1", nil, nil); status != 204 {
			t.Fatalf("DELETE organization = %d, want 204", status)
		}
		if status := e.do("GET", "/organization/org_1/webhooks", nil, nil); status != 404 {
			t.Fatalf("list the deleted organization's webhooks = %d, want 404", status)
		}
		if got := e.scalar(`SELECT (deleted_at IS NOT NULL)::text FROM webhooks WHERE id = $1`, org.ID); got != "true" {
			t.Fatal("the organization's webhook is not deleted")
		}
		if status := e.as(tok, "GET", "/organization/org_1/webhooks", nil); status != 404 {
			t.Fatalf("former member reads = %d, want 404", status)
		}
		if status := e.as(tok, "GET", "/users/u_1/webhooks", nil); status != 200 {
			t.Fatalf("the member's token on its own webhooks = %d, want 200", status)
		}
		if status := e.do("PUT", "/organizations/org_1/members/u_1", map[string]any{"role": "owner"}, nil); status != 404 {
			t.Fatalf("add a member to the deleted organization = %d, want 404", status)
		}
		var got apiError
		if status := e.do("POST", "/events", map[string]any{"event": "summary.completed", "organization_id": "org_1", "data": map[string]any{}}, &got); status != 422 {
			t.Fatalf("publish for the deleted organization = %d, want 422", status)
		}
		if status := e.do("DELETE", "/organizations/org_1", nil, nil); status != 404 {
			t.Fatalf("DELETE it again = %d, want 404", status)
		}
	})
}

func TestUserTokens(t *testing.T) {
	e := newEnv(t)
	e.directory()
	ctx := context.Background()

	t.Run("a token is minted once with the default lifetime of an hour", func(t *testing.T) {
		before := time.Now()
		tok := e.mint("u_1", nil)
		if !strings.HasPrefix(tok.Token, api.TokenPrefix) || !strings.HasPrefix(tok.ID, "tok_") || tok.UserID != "u_1" {
			t.Fatalf("token %+v", tok)
		}
		if d := tok.ExpiresAt.Sub(before); d < time.Hour-time.Minute || d > time.Hour+time.Minute {
			t.Fatalf("expires in %v, want an hour", d)
		}
		short := e.mint("u_1", map[string]any{"ttl_seconds": 600})
		if d := short.ExpiresAt.Sub(before); d < 9*time.Minute || d > 11*time.Minute {
			t.Fatalf("expires in %v, want 10 minutes", d)
		}
	})

	t.Run("a token is stored only as its SHA-256 and never listed", func(t *testing.T) {
		tok := e.mint("u_1", map[string]any{"ttl_seconds": 3600})
		sum := sha256.Sum256([]byte(tok.Token))
		var stored []byte
		if err := e.store.DB().GetContext(ctx, &stored, `SELECT token_hash FROM user_tokens WHERE id = $1`, tok.ID); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(stored, sum[:]) {
			t.Fatal("the stored hash is not the token's SHA-256")
		}
		if n := e.scalar(`SELECT count(*)::text FROM user_tokens t WHERE strpos(row_to_json(t)::text, $1) > 0`, tok.Token); n != "0" {
			t.Fatal("the token's text is in the database")
		}
		var raw json.RawMessage
		e.mustDo(200, "GET", "/users/u_1/tokens", nil, &raw)
		if strings.Contains(string(raw), tok.Token) || !strings.Contains(string(raw), tok.ID) {
			t.Fatalf("token list %s", raw)
		}
	})

	t.Run("lifetimes out of range, wrong types and unknown users are refused and store nothing", func(t *testing.T) {
		for _, tc := range []struct {
			path, body string
			status     int
		}{
			{"/users/u_1/tokens", `{"ttl_seconds":0}`, 422},
			{"/users/u_1/tokens", `{"ttl_seconds":59}`, 422},
			{"/users/u_1/tokens", `{"ttl_seconds":-3600}`, 422},
			{"/users/u_1/tokens", `{"ttl_seconds":2592001}`, 422},
			{"/users/u_1/tokens", `{"ttl_seconds":"3600"}`, 400},
			{"/users/u_1/tokens", `{"ttl_seconds":1.5}`, 400},
			{"/users/u_404/tokens", `{"ttl_seconds":3600}`, 404},
		} {
			before := e.dump()
			var got apiError
			if status := e.do("POST", tc.path, tc.body, &got); status != tc.status {
				t.Fatalf("POST %s %s = %d, want %d", tc.path, tc.body, status, tc.status)
			}
			if tc.status != 404 && (len(got.Error.Details) == 0 || got.Error.Details[0].Field != "ttl_seconds") {
				t.Fatalf("%s: details %+v, want field ttl_seconds", tc.body, got.Error.Details)
			}
			if e.dump() != before {
				t.Fatalf("%s stored something", tc.body)
			}
		}
		e.mint("u_1", map[string]any{"ttl_seconds": 2592000}) // the maximum, 30 days, is fine
	})

	t.Run("a token acts as its user: own webhooks yes, others' 404, backend routes 403", func(t *testing.T) {
		tok := e.mint("u_1", nil)
		if status := e.as(tok, "GET", "/users/u_1/webhooks", nil); status != 200 {
			t.Fatalf("own webhooks = %d", status)
		}
		if status := e.as(tok, "GET", "/users/u_2/webhooks", nil); status != 404 {
			t.Fatalf("another user's webhooks = %d, want 404", status)
		}
		if status := e.as(tok, "PUT", "/users/u_1", map[string]any{}); status != 403 {
			t.Fatalf("PUT its own user = %d, want 403", status)
		}
		if status := e.as(tok, "POST", "/users/u_1/tokens", nil); status != 403 {
			t.Fatalf("mint a token = %d, want 403", status)
		}
	})

	t.Run("a token stops working when it expires", func(t *testing.T) {
		secret := api.TokenPrefix + "short_" + e.name
		exp := time.Now().Add(time.Second)
		if _, err := e.store.CreateUserToken(ctx, "u_1", secret, exp); err != nil {
			t.Fatal(err)
		}
		tok := mintedToken{Token: secret}
		if status := e.as(tok, "GET", "/users/u_1/webhooks", nil); status != 200 {
			t.Fatalf("before expiry = %d, want 200", status)
		}
		time.Sleep(time.Until(exp) + 100*time.Millisecond) // time itself is what is awaited
		if status := e.as(tok, "GET", "/users/u_1/webhooks", nil); status != 401 {
			t.Fatalf("after expiry = %d, want 401", status)
		}
	})

	t.Run("revoking one token leaves the others; revoking all ends them all", func(t *testing.T) {
		a, b := e.mint("u_1", nil), e.mint("u_1", nil)
		if status := e.do("DELETE", "/users/u_2/tokens/"+a.ID, nil, nil); status != 404 {
			t.Fatalf("revoke u_1's token under u_2 = %d, want 404", status)
		}
		if status := e.do("DELETE", "/users/u_1/tokens/tok_unknown", nil, nil); status != 404 {
			t.Fatalf("revoke an unknown token = %d, want 404", status)
		}
		for range 2 { // revoking again is still a 204
			if status := e.do("DELETE", "/users/u_1/tokens/"+a.ID, nil, nil); status != 204 {
				t.Fatalf("revoke = %d, want 204", status)
			}
		}
		if status := e.as(a, "GET", "/users/u_1/webhooks", nil); status != 401 {
			t.Fatalf("revoked token = %d, want 401", status)
		}
		if status := e.as(b, "GET", "/users/u_1/webhooks", nil); status != 200 {
			t.Fatalf("the other token = %d, want 200", status)
		}
		if status := e.do("DELETE", "/users/u_1/tokens", nil, nil); status != 204 {
			t.Fatalf("revoke all = %d, want 204", status)
		}
		if status := e.as(b, "GET", "/users/u_1/webhooks", nil); status != 401 {
			t.Fatalf("after revoking all = %d, want 401", status)
		}
		if status := e.do("DELETE", "/users/u_404/tokens", nil, nil); status != 404 {
			t.Fatalf("revoke all of an unknown user = %d, want 404", status)
		}
	})
}

func TestRevokedAdminKeyIsRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const key = "hk_revoke_me"
	id, err := e.store.CreateAPIKey(ctx, "to revoke", key)
	if err != nil {
		t.Fatal(err)
	}
	if status := e.doWith("PUT", "/users/u_1", "Bearer "+key, `{}`, nil); status != 200 {
		t.Fatalf("before revocation = %d, want 200", status)
	}
	if _, err := e.store.RevokeAPIKey(ctx, id); err != nil {
		t.Fatal(err)
	}
	var got apiError
	if status := e.doWith("PUT", "/users/u_1", "Bearer "+key, `{}`, &got); status != 401 || got.Error.Code != "unauthorized" {
		t.Fatalf("after revocation = %d %q, want 401 unauthorized", status, got.Error.Code)
	}
	if status := e.doWith("PUT", "/users/u_1", "Bearer "+adminKey, `{}`, nil); status != 200 {
		t.Fatalf("another key = %d, want 200", status)
	}
}
