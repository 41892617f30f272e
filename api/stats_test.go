package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

type logEntry struct {
	ID        string    `json:"id"`
	EventID   string    `json:"event_id"`
	Event     string    `json:"event"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

type logPage struct {
	Data       []logEntry `json:"data"`
	NextCursor string     `json:"next_cursor"`
}

// logFixture publishes six events, one after the other, to one webhook that makes a single
// attempt per delivery and whose receiver fails the 2nd and 3rd requests:
//
//	e1 summary.completed succeeded   e4 recording.created succeeded
//	e2 recording.created failed      e5 summary.completed succeeded
//	e3 summary.completed failed      e6 recording.created succeeded
func logFixture(t *testing.T) (*env, string, []string) {
	t.Helper()
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	r.answer = func(_ string, n int) int {
		if n == 2 || n == 3 {
			return 500
		}
		return 200
	}
	w := e.createWebhook("/users/u_1", r.URL+"/log", []string{"*"}, map[string]any{
		"retry": map[string]any{"max_attempts": 1, "initial_interval_seconds": 1, "backoff_coefficient": 1, "max_interval_seconds": 1}})
	types := []string{"summary.completed", "recording.created"}
	var ids []string
	for i := 1; i <= 6; i++ {
		id := e.ev(fmt.Sprintf("evt_log_%d", i))
		if st, ans := e.publish(id, types[(i+1)%2], `{}`); st != 202 {
			t.Fatalf("publish %d = %d %+v", i, st, ans)
		}
		e.waitDeliveries(id, 1)
		ids = append(ids, id)
	}
	return e, w.ID, ids
}

// eventIDs lists the pages' event ids, following next_cursor from the first query.
func (e *env) eventIDs(webhookID, query string) []string {
	e.t.Helper()
	var out []string
	cursor := ""
	for page := 0; page < 10; page++ {
		q := query
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		var p logPage
		e.mustDo(200, "GET", "/webhooks/"+webhookID+"/deliveries?"+q, nil, &p)
		for _, d := range p.Data {
			out = append(out, d.EventID)
		}
		if cursor = p.NextCursor; cursor == "" {
			return out
		}
	}
	e.t.Fatal("more than 10 pages")
	return nil
}

func TestDeliveryLogFilters(t *testing.T) {
	e, wh, ev := logFixture(t)
	pick := func(n ...int) string {
		var s []string
		for _, i := range n {
			s = append(s, ev[i-1])
		}
		return strings.Join(s, ",")
	}
	var all logPage
	e.mustDo(200, "GET", "/webhooks/"+wh+"/deliveries", nil, &all)
	if len(all.Data) != 6 {
		t.Fatalf("log has %d deliveries, want 6", len(all.Data))
	}
	third := all.Data[3].CreatedAt.Format(time.RFC3339Nano) // e3's delivery

	cases := []struct{ name, query, want string }{
		{"the log is newest first", "", pick(6, 5, 4, 3, 2, 1)},
		{"status filters", "status=failed", pick(3, 2)},
		{"event filters by type", "event=summary.completed", pick(5, 3, 1)},
		{"filters combine", "status=succeeded&event=recording.created", pick(6, 4)},
		{"since includes its instant", "since=" + url.QueryEscape(third), pick(6, 5, 4, 3)},
		{"until excludes its instant", "until=" + url.QueryEscape(third), pick(2, 1)},
		{"pages of two follow the cursor to the end", "limit=2", pick(6, 5, 4, 3, 2, 1)},
		{"pages keep the filters", "limit=1&event=recording.created", pick(6, 4, 2)},
		{"a filter that matches nothing is an empty list", "status=cancelled", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(e.eventIDs(wh, c.query), ","); got != c.want {
				t.Fatalf("?%s lists\n%s\nwant\n%s", c.query, got, c.want)
			}
		})
	}

	t.Run("a page of two has two entries and a cursor", func(t *testing.T) {
		var p logPage
		e.mustDo(200, "GET", "/webhooks/"+wh+"/deliveries?limit=2", nil, &p)
		if len(p.Data) != 2 || p.NextCursor == "" {
			t.Fatalf("page %+v", p)
		}
	})

	bad := []struct{ query, field string }{
		{"status=done", "status"},
		{"since=yesterday", "since"},
		{"until=2026-13-01T00:00:00Z", "until"},
		{"since=2026-02-02T00:00:00Z&until=2026-02-01T00:00:00Z", "until"},
		{"cursor=dlv_not_in_this_log", "cursor"},
		{"cursor=" + url.QueryEscape("a b"), "cursor"},
		{"event=" + url.QueryEscape("not a type!"), "event"},
		{"limit=0", "limit"},
		{"limit=101", "limit"},
	}
	for _, b := range bad {
		t.Run("?"+b.query+" is a 422 naming "+b.field, func(t *testing.T) {
			e.expectError(422, "validation_failed", b.field, "GET", "/webhooks/"+wh+"/deliveries?"+b.query, nil)
		})
	}

	t.Run("an unknown webhook is a 404", func(t *testing.T) {
		e.expectError(404, "not_found", "", "GET", "/webhooks/wh_nope/deliveries", nil)
	})
}

func TestDeliveryLogDefaultsTo25(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	w := e.createWebhook("/users/u_1", r.URL+"/many", []string{"*"}, nil)
	var ids []string
	for i := 0; i < 27; i++ {
		id := e.ev(fmt.Sprintf("evt_many_%d", i))
		if st, ans := e.publish(id, "summary.completed", `{}`); st != 202 {
			t.Fatalf("publish = %d %+v", st, ans)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		e.waitDeliveries(id, 1)
	}
	var p logPage
	e.mustDo(200, "GET", "/webhooks/"+w.ID+"/deliveries", nil, &p)
	if len(p.Data) != 25 || p.NextCursor == "" {
		t.Fatalf("first page has %d entries, cursor %q; want 25 and a cursor", len(p.Data), p.NextCursor)
	}
	var rest logPage
	e.mustDo(200, "GET", "/webhooks/"+w.ID+"/deliveries?cursor="+p.NextCursor, nil, &rest)
	if len(rest.Data) != 2 || rest.NextCursor != "" {
		t.Fatalf("second page has %d entries, cursor %q; want 2 and none", len(rest.Data), rest.NextCursor)
	}
	seen := map[string]bool{}
	for _, d := range append(p.Data, rest.Data...) {
		if seen[d.ID] {
			t.Fatalf("delivery %s is on both pages", d.ID)
		}
		seen[d.ID] = true
	}
}

type stats struct {
	WebhookID     string    `json:"webhook_id"`
	WindowSeconds int64     `json:"window_seconds"`
	Since         time.Time `json:"since"`
	Deliveries    struct {
		Total, Succeeded, Failed, Pending, Cancelled int
	} `json:"deliveries"`
	Attempts struct {
		Total, Succeeded, Failed int
	} `json:"attempts"`
	SuccessRate         *float64   `json:"success_rate"`
	FailureRate         *float64   `json:"failure_rate"`
	LastSuccessAt       *time.Time `json:"last_success_at"`
	LastFailureAt       *time.Time `json:"last_failure_at"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	Status              string     `json:"status"`
}

func TestWebhookStats(t *testing.T) {
	e, wh, ev := logFixture(t)

	t.Run("the default window counts every delivery and attempt of the last 24 hours", func(t *testing.T) {
		var s stats
		e.mustDo(200, "GET", "/webhooks/"+wh+"/stats", nil, &s)
		if s.WebhookID != wh || s.WindowSeconds != 86400 || time.Since(s.Since) < 24*time.Hour-time.Minute {
			t.Fatalf("stats %+v", s)
		}
		d, a := s.Deliveries, s.Attempts
		if d.Total != 6 || d.Succeeded != 4 || d.Failed != 2 || d.Pending != 0 || d.Cancelled != 0 {
			t.Fatalf("deliveries %+v, want 6 = 4 succeeded + 2 failed", d)
		}
		if a.Total != 6 || a.Succeeded != 4 || a.Failed != 2 {
			t.Fatalf("attempts %+v, want 6 = 4 + 2", a)
		}
		if s.SuccessRate == nil || *s.SuccessRate != 0.6667 || s.FailureRate == nil || *s.FailureRate != 0.3333 {
			t.Fatalf("rates %v %v, want 0.6667 and 0.3333", s.SuccessRate, s.FailureRate)
		}
		if s.LastSuccessAt == nil || s.LastFailureAt == nil || !s.LastSuccessAt.After(*s.LastFailureAt) {
			t.Fatalf("last success %v, last failure %v: the last attempt succeeded", s.LastSuccessAt, s.LastFailureAt)
		}
		if s.ConsecutiveFailures != 0 || s.Status != "active" {
			t.Fatalf("consecutive failures %d, status %q", s.ConsecutiveFailures, s.Status)
		}
	})

	// Move e1 and e2 (one success, one failure) two days back.
	_, err := e.store.DB().ExecContext(context.Background(), `
		WITH old AS (UPDATE deliveries SET created_at = created_at - interval '2 days', updated_at = updated_at - interval '2 days'
		             WHERE event_id IN ($1, $2) RETURNING id)
		UPDATE attempts SET started_at = started_at - interval '2 days' WHERE delivery_id IN (SELECT id FROM old)`, ev[0], ev[1])
	if err != nil {
		t.Fatal(err)
	}

	t.Run("deliveries and attempts before the window are not counted", func(t *testing.T) {
		var s stats
		e.mustDo(200, "GET", "/webhooks/"+wh+"/stats?window=24h", nil, &s)
		if s.Deliveries.Total != 4 || s.Deliveries.Succeeded != 3 || s.Deliveries.Failed != 1 || s.Attempts.Total != 4 {
			t.Fatalf("24h: deliveries %+v attempts %+v, want 4 = 3 + 1", s.Deliveries, s.Attempts)
		}
		if *s.SuccessRate != 0.75 || *s.FailureRate != 0.25 {
			t.Fatalf("rates %v %v", *s.SuccessRate, *s.FailureRate)
		}
		for _, w := range []string{"72h", "3d", "259200"} {
			e.mustDo(200, "GET", "/webhooks/"+wh+"/stats?window="+w, nil, &s)
			if s.Deliveries.Total != 6 || s.Attempts.Total != 6 || s.WindowSeconds != 259200 {
				t.Fatalf("window %s: %+v", w, s)
			}
		}
	})

	t.Run("a window with no finished delivery has null rates and keeps the last success", func(t *testing.T) {
		_, err := e.store.DB().ExecContext(context.Background(), `
			WITH old AS (UPDATE deliveries SET created_at = created_at - interval '1 hour', updated_at = updated_at - interval '1 hour'
			             WHERE webhook_id = $1 RETURNING id)
			UPDATE attempts SET started_at = started_at - interval '1 hour' WHERE delivery_id IN (SELECT id FROM old)`, wh)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		e.mustDo(200, "GET", "/webhooks/"+wh+"/stats?window=30m", nil, &raw)
		if raw["success_rate"] != nil || raw["failure_rate"] != nil || raw["last_success_at"] == nil {
			t.Fatalf("stats %v", raw)
		}
		if d := raw["deliveries"].(map[string]any); d["total"] != float64(0) {
			t.Fatalf("deliveries %v", d)
		}
	})

	for _, w := range []string{"0", "-1h", "91d", "2161h", "soon", "1.5d", "9999999999999"} {
		t.Run("window="+w+" is a 422", func(t *testing.T) {
			e.expectError(422, "validation_failed", "window", "GET", "/webhooks/"+wh+"/stats?window="+url.QueryEscape(w), nil)
		})
	}

	t.Run("an unknown webhook is a 404", func(t *testing.T) {
		e.expectError(404, "not_found", "", "GET", "/webhooks/wh_nope/stats", nil)
	})
}
