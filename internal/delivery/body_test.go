package delivery

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
)

func TestBody(t *testing.T) {
	ev := &herald.Event{ID: "evt_1", Type: "summary.completed", UserID: "u_1",
		Timestamp: time.Date(2026, 2, 18, 12, 0, 0, 0, time.UTC),
		Data:      json.RawMessage(`{"html":"<p>a & b</p>","zero":0.0,"tiny":1e-7,"2":"index key"}`)}
	user := &herald.User{ID: "u_1", Email: "ada@example.com"}

	t.Run("the envelope is compact JavaScript-canonical JSON in the documented field order", func(t *testing.T) {
		w := &herald.Webhook{ID: "wh_1", OrganizationID: "org_1", Format: herald.FormatEnvelope}
		got, err := Body(ev, w, user)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"id":"evt_1","event":"summary.completed","timestamp":"2026-02-18T12:00:00.000Z","webhook_id":"wh_1",` +
			`"user":{"id":"u_1","email":"ada@example.com"},"organization":{"id":"org_1"},` +
			`"data":{"2":"index key","html":"<p>a & b</p>","zero":0,"tiny":1e-7}}`
		if string(got) != want {
			t.Fatalf("body\n%s\nwant\n%s", got, want)
		}
	})

	t.Run("a personal webhook's body has no organization when the event names none", func(t *testing.T) {
		got, _ := Body(ev, &herald.Webhook{ID: "wh_2", UserID: "u_1"}, nil)
		if strings.Contains(string(got), "organization") || !strings.Contains(string(got), `"user":{"id":"u_1"}`) {
			t.Fatalf("body %s", got)
		}
	})

	t.Run("the flat format puts data's fields at the top level", func(t *testing.T) {
		got, err := Body(ev, &herald.Webhook{ID: "wh_3", UserID: "u_1", Format: herald.FormatFlat}, user)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(got), `"data":`) || !strings.Contains(string(got), `"html":"<p>a & b</p>","zero":0,"tiny":1e-7}`) {
			t.Fatalf("body %s", got)
		}
	})
}
