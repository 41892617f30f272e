package seedverify

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/internal/presets"
	"github.com/herald-webhooks/herald/internal/signing"
)

// handle signs body as preset name would and runs the name's handler on it.
func handle(t *testing.T, hd Handler, name, secret string, body string, extra map[string]string) ([]Call, error) {
	t.Helper()
	p, _ := presets.Get(name)
	h := sign(t, p, secret, time.Now(), []byte(body))
	for k, v := range extra {
		h.Set(k, v)
	}
	return hd.Handle(h, []byte(body))
}

func handler(t *testing.T, name, secret string) Handler {
	t.Helper()
	hd, ok := HandlerForPreset(name, secret)
	if !ok {
		t.Fatalf("no handler for %q", name)
	}
	return hd
}

// TestHandlersAcceptTheirDocumentsPayloads feeds each handler port the example payload its
// seed document prints (or, for Pocketsflow, which prints none, the members its handler code
// reads): a port that refused its own document's payload would not be faithful.
func TestHandlersAcceptTheirDocumentsPayloads(t *testing.T) {
	secret := signing.NewSecret("whsec_")
	tests := []struct {
		name, body string
		header     map[string]string
		want       []Call
	}{
		{"pocket", `{"event":"summary.completed","timestamp":"2026-02-18T12:00:00.000Z",` +
			`"user":{"id":"user_abc123","email":"alice@example.com"},"organization":{"id":"org_def456"},` +
			`"recording":{"id":"rec_abc123","title":"Team Standup"},` +
			`"summarizations":{"sum_456":{"id":"row_789","v2":{"summary":{"title":"Team Standup"}}}},` +
			`"transcript":[{"speaker":"Alice","text":"Let's go over this week's priorities.","start":0.0,"end":3.5}]}`,
			map[string]string{"User-Agent": "HeyPocket-Webhook/1.0"},
			[]Call{{"event", []any{"summary.completed", true}}, {"user", []any{"user_abc123", "alice@example.com"}},
				{"organization", []any{"org_def456"}}, {"recording", []any{"rec_abc123", "Team Standup"}},
				{"summary", []any{"Team Standup", 1.0}}}},
		{"meeting-platform", `{"event":"recording.processing.completed","timestamp":"2024-01-15T10:30:00Z",` +
			`"data":{"recording":{"id":123,"title":"Team Meeting","status":"completed","duration":3600,"transcript_ready":true}}}`, nil,
			[]Call{{"event", []any{"recording.processing.completed", true}}, {"recording", []any{123.0, "Team Meeting", "completed"}}}},
		{"convo", `{"event":"conversation.keypoints.ready","data":{"conversationId":"sess_a1b2c3","title":"Q1 Planning Review"},` +
			`"timestamp":"2026-03-19T14:30:00.000Z"}`, map[string]string{"X-Convo-Event": "conversation.keypoints.ready"},
			[]Call{{"route", []any{"conversation.keypoints.ready"}}, {"event", []any{"conversation.keypoints.ready", true}},
				{"data", []any{"sess_a1b2c3", "Q1 Planning Review"}}}},
		{"pocketsflow", `{"id":"evt_1","type":"order.completed","data":{"customer":{"email":"buyer@example.com"},"product":{"id":"prod_1"},"amount":32.4}}`, nil,
			[]Call{{"console.log", []any{"Received event:", "order.completed"}}, {"grantCourseAccess", []any{"buyer@example.com", "prod_1"}},
				{"sendEmail", []any{"buyer@example.com", "welcome"}}, {"analytics.track", []any{"Purchase Completed", 32.4, "prod_1"}},
				{"processedEvents.add", []any{"evt_1"}}}},
		{"bigmind", `{"event":"transcription_created","data":{"meeting_id":"mtg_abc123","session_id":"ses_xyz789",` +
			`"transcript":"<transcript content in HTML format>","speakers":[{"name":"John Doe","email":"john@example.com","device_id":"device_123"}]},` +
			`"webhook_id":"whk_def456","timestamp":"2025-10-10T14:30:00.000Z"}`, nil,
			[]Call{{"console.log", []any{"Event:", "transcription_created"}}, {"webhook", []any{"whk_def456", true}},
				{"meeting", []any{"mtg_abc123", "ses_xyz789"}}, {"transcript", []any{"<transcript content in HTML format>"}},
				{"speaker", []any{"John Doe", "john@example.com"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" processes its document's example", func(t *testing.T) {
			calls, err := handle(t, handler(t, tt.name, secret), tt.name, secret, tt.body, tt.header)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "pocket" {
				if calls[0].Name != "delivery" || calls[0].Args[0] != "HeyPocket-Webhook/1.0" {
					t.Fatalf("delivery headers %v", calls[0])
				}
				calls = calls[1:]
			}
			if !reflect.DeepEqual(calls, tt.want) {
				t.Fatalf("calls\n%v\nwant\n%v", calls, tt.want)
			}
		})
	}
}

func TestHandlersNoticeMissingMembers(t *testing.T) {
	secret := signing.NewSecret("whsec_")
	t.Run("Pocket's handler throws on a body without user", func(t *testing.T) {
		_, err := handle(t, handler(t, "pocket", secret), "pocket", secret, `{"event":"summary.completed","recording":{"id":"r"}}`, nil)
		if !errors.Is(err, ErrTypeError) {
			t.Fatalf("error %v, want a TypeError", err)
		}
	})
	t.Run("Pocketsflow's handler does nothing with an envelope that names the type event", func(t *testing.T) {
		calls, err := handle(t, handler(t, "pocketsflow", secret), "pocketsflow", secret,
			`{"id":"evt_1","event":"order.completed","data":{"customer":{"email":"b@example.com"},"product":{"id":"p"}}}`, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range calls {
			if c.Name == "grantCourseAccess" {
				t.Fatalf("granted access without event.type: %v", calls)
			}
		}
	})
	t.Run("Pocketsflow's handler processes an event id once", func(t *testing.T) {
		hd := handler(t, "pocketsflow", secret)
		body := `{"id":"evt_2","type":"customer.created","data":{"customer":{"email":"c@example.com"}}}`
		if _, err := handle(t, hd, "pocketsflow", secret, body, nil); err != nil {
			t.Fatal(err)
		}
		calls, err := handle(t, hd, "pocketsflow", secret, body, nil)
		if err != nil || calls[len(calls)-1].Name != "duplicate" {
			t.Fatalf("second delivery: %v, %v", calls, err)
		}
	})
	t.Run("Bigmind's handler throws on a body without data", func(t *testing.T) {
		_, err := handle(t, handler(t, "bigmind", secret), "bigmind", secret, `{"event":"transcription_created","webhook_id":"w"}`, nil)
		if !errors.Is(err, ErrTypeError) {
			t.Fatalf("error %v, want a TypeError", err)
		}
	})
	t.Run("every handler refuses a forged signature", func(t *testing.T) {
		for _, p := range presets.All() {
			hd := handler(t, p.Name, secret)
			h := sign(t, p, signing.NewSecret(p.SecretPrefix), time.Now(), []byte(`{}`))
			if _, err := hd.Handle(h, []byte(`{}`)); !errors.Is(err, ErrSignature) {
				t.Errorf("%s: error %v, want ErrSignature", p.Name, err)
			}
		}
	})
}
