package api_test

import (
	"net/url"
	"slices"
	"testing"
	"time"
)

type ownerLogEntry struct {
	ID        string    `json:"id"`
	EventID   string    `json:"event_id"`
	WebhookID string    `json:"webhook_id"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// ownerLog follows next_cursor from the first page of path?query and returns every entry.
func (e *env) ownerLog(path, query string) []ownerLogEntry {
	e.t.Helper()
	var out []ownerLogEntry
	cursor := ""
	for page := 0; page < 20; page++ {
		q := query
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		var p struct {
			Data       []ownerLogEntry `json:"data"`
			NextCursor string          `json:"next_cursor"`
		}
		e.mustDo(200, "GET", path+"?"+q, nil, &p)
		out = append(out, p.Data...)
		if cursor = p.NextCursor; cursor == "" {
			return out
		}
	}
	e.t.Fatal("more than 20 pages")
	return nil
}

// TestWhatNeverArrived is issue 12's eighth item: one call lists, across every webhook of an
// owner, the deliveries that ended without success in a window. Two webhooks of org_1 (one
// receiver answers 200, the other 500) and a personal webhook of u_1 (500) each get the same
// three events, with a single attempt per delivery.
func TestWhatNeverArrived(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	r.answer = func(path string, _ int) int {
		if path == "/ok" {
			return 200
		}
		return 500
	}
	once := map[string]any{"retry": retryPolicy(1, 1)}
	ok := e.createWebhook("/organization/org_1", r.URL+"/ok", []string{"*"}, once)
	failing := e.createWebhook("/organization/org_1", r.URL+"/fail", []string{"*"}, once)
	personal := e.createWebhook("/users/u_1", r.URL+"/personal", []string{"*"}, once)
	var events []string
	for _, id := range []string{"evt_na_1", "evt_na_2", "evt_na_3"} {
		id = e.ev(id)
		if st, ans := e.publish(id, "summary.completed", `{}`); st != 202 {
			t.Fatalf("publish %s = %d %+v", id, st, ans)
		}
		e.waitDeliveries(id, 3)
		events = append(events, id)
	}
	newestFirst := []string{events[2], events[1], events[0]}
	eventsOf := func(l []ownerLogEntry) []string {
		var s []string
		for _, d := range l {
			s = append(s, d.EventID)
		}
		return s
	}
	only := func(t *testing.T, l []ownerLogEntry, webhookID, status string, want []string) {
		t.Helper()
		for _, d := range l {
			if d.WebhookID != webhookID || d.Status != status {
				t.Fatalf("entry %+v, want only %s deliveries of %s", d, status, webhookID)
			}
		}
		if got := eventsOf(l); !slices.Equal(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	const orgLog, userLog = "/organization/org_1/deliveries", "/users/u_1/deliveries"

	t.Run("the organization's failed deliveries are the failing webhook's, not the personal one's", func(t *testing.T) {
		only(t, e.ownerLog(orgLog, "status=failed"), failing.ID, "failed", newestFirst)
	})
	t.Run("the unfiltered organization log has both its webhooks' deliveries, newest first", func(t *testing.T) {
		all := e.ownerLog(orgLog, "")
		if len(all) != 6 {
			t.Fatalf("%d entries, want 6: %+v", len(all), all)
		}
		for i := 1; i < len(all); i++ {
			if all[i].CreatedAt.After(all[i-1].CreatedAt) {
				t.Fatalf("not newest first: %+v", all)
			}
		}
		for _, d := range all {
			if d.WebhookID != ok.ID && d.WebhookID != failing.ID {
				t.Fatalf("entry of another owner's webhook: %+v", d)
			}
		}
	})
	t.Run("a status list matches any of its statuses", func(t *testing.T) {
		if n := len(e.ownerLog(orgLog, "status=failed,succeeded")); n != 6 {
			t.Fatalf("failed,succeeded: %d entries, want 6", n)
		}
		only(t, e.ownerLog(orgLog, "status="+url.QueryEscape("failed, held,cancelled")), failing.ID, "failed", newestFirst)
		only(t, e.ownerLog(orgLog, "status=succeeded,pending"), ok.ID, "succeeded", newestFirst)
	})
	t.Run("the per-webhook log takes a status list too", func(t *testing.T) {
		if n := len(e.ownerLog("/webhooks/"+ok.ID+"/deliveries", "status=failed,cancelled")); n != 0 {
			t.Fatalf("%d entries, want none", n)
		}
		if n := len(e.ownerLog("/webhooks/"+ok.ID+"/deliveries", "status=held,succeeded")); n != 3 {
			t.Fatalf("%d entries, want 3", n)
		}
	})
	t.Run("the personal log has only the personal webhook's", func(t *testing.T) {
		only(t, e.ownerLog(userLog, "status=failed"), personal.ID, "failed", newestFirst)
	})
	t.Run("since and until window on created_at", func(t *testing.T) {
		var second time.Time
		for _, d := range e.ownerLog(orgLog, "") {
			if d.EventID == events[1] && d.WebhookID == failing.ID {
				second = d.CreatedAt
			}
		}
		at := url.QueryEscape(second.Format(time.RFC3339Nano))
		only(t, e.ownerLog(orgLog, "status=failed&since="+at), failing.ID, "failed", newestFirst[:2])
		only(t, e.ownerLog(orgLog, "status=failed&until="+at), failing.ID, "failed", newestFirst[2:])
		later := url.QueryEscape(second.Add(time.Microsecond).Format(time.RFC3339Nano))
		only(t, e.ownerLog(orgLog, "status=failed&since="+at+"&until="+later), failing.ID, "failed", []string{events[1]})
	})
	t.Run("pages of one follow the cursor across webhooks", func(t *testing.T) {
		only(t, e.ownerLog(orgLog, "status=failed&limit=1"), failing.ID, "failed", newestFirst)
		if n := len(e.ownerLog(orgLog, "limit=4")); n != 6 {
			t.Fatalf("pages of 4: %d entries, want 6", n)
		}
	})
	t.Run("the event filter applies", func(t *testing.T) {
		if n := len(e.ownerLog(orgLog, "event=recording.created")); n != 0 {
			t.Fatalf("%d entries, want none", n)
		}
	})

	t.Run("a member reads its organization's and its own log; an outsider gets 404", func(t *testing.T) {
		member, outsider := e.mint("u_1", map[string]any{"ttl_seconds": 600}), e.mint("u_2", map[string]any{"ttl_seconds": 600})
		for _, c := range []struct {
			tok  mintedToken
			path string
			want int
		}{
			{member, orgLog + "?status=failed", 200},
			{member, userLog + "?status=failed", 200},
			{outsider, orgLog + "?status=failed", 404},
			{outsider, userLog + "?status=failed", 404},
			{member, "/users/u_2/deliveries", 404},
			{outsider, "/users/u_2/deliveries", 200},
		} {
			if got := e.as(c.tok, "GET", c.path, nil); got != c.want {
				t.Fatalf("%s as %s = %d, want %d", c.path, c.tok.UserID, got, c.want)
			}
		}
	})

	bad := []struct{ query, field string }{
		{"status=done", "status"},
		{"status=failed,done", "status"},
		{"status=failed,", "status"},
		{"since=yesterday", "since"},
		{"until=2026-13-01T00:00:00Z", "until"},
		{"since=2026-02-02T00:00:00Z&until=2026-02-01T00:00:00Z", "until"},
		{"event=" + url.QueryEscape("not a type!"), "event"},
		{"limit=0", "limit"},
	}
	for _, b := range bad {
		t.Run("?"+b.query+" is a 422 naming "+b.field, func(t *testing.T) {
			e.expectError(422, "validation_failed", b.field, "GET", orgLog+"?"+b.query, nil)
		})
	}
	t.Run("a cursor from another owner's log is a 422 naming cursor", func(t *testing.T) {
		p := e.ownerLog(userLog, "")
		e.expectError(422, "validation_failed", "cursor", "GET", orgLog+"?cursor="+p[0].ID, nil)
	})
	t.Run("an unknown owner is a 404", func(t *testing.T) {
		e.expectError(404, "not_found", "", "GET", "/organization/org_nope/deliveries", nil)
		e.expectError(404, "not_found", "", "GET", "/users/u_nope/deliveries", nil)
	})
	t.Run("a deleted webhook's deliveries stay listed", func(t *testing.T) {
		if got := e.do("DELETE", "/organization/org_1/webhooks/"+failing.ID, nil, nil); got != 204 {
			t.Fatalf("delete = %d, want 204", got)
		}
		only(t, e.ownerLog(orgLog, "status=failed"), failing.ID, "failed", newestFirst)
	})
}
