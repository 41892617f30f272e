package app

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/herald-webhooks/herald"
)

// StatsStore is what a webhook's statistics read.
type StatsStore interface {
	WebhookGetter
	WebhookStats(ctx context.Context, webhookID string, since time.Time) (*herald.WebhookStats, error)
}

// Stats serves a webhook's delivery counts and rates, to a caller who may read the webhook.
type Stats struct {
	Store StatsStore
	Auth  Authorizer
	Now   func() time.Time // time.Now when nil
}

// Windows of the statistics.
const (
	DefaultStatsWindow = 24 * time.Hour
	MaxStatsWindow     = 90 * 24 * time.Hour
)

// WebhookStats is the body of GET /webhooks/{id}/stats.
type WebhookStats struct {
	WebhookID     string    `json:"webhook_id"`
	WindowSeconds int64     `json:"window_seconds"`
	Since         time.Time `json:"since"`
	Deliveries    struct {
		Total     int `json:"total"`
		Succeeded int `json:"succeeded"`
		Failed    int `json:"failed"`
		Pending   int `json:"pending"`
		Cancelled int `json:"cancelled"`
	} `json:"deliveries"`
	Attempts struct {
		Total     int `json:"total"`
		Succeeded int `json:"succeeded"`
		Failed    int `json:"failed"`
	} `json:"attempts"`
	// SuccessRate and FailureRate are over the window's finished deliveries (succeeded or
	// failed; cancelled ones are neither); null when there are none.
	SuccessRate         *float64             `json:"success_rate"`
	FailureRate         *float64             `json:"failure_rate"`
	LastSuccessAt       *time.Time           `json:"last_success_at"`
	LastFailureAt       *time.Time           `json:"last_failure_at"`
	ConsecutiveFailures int                  `json:"consecutive_failures"`
	Status              herald.WebhookStatus `json:"status"`
}

// Webhook is the webhook's statistics over the window the input names (ParseStatsWindow).
func (s *Stats) Webhook(ctx context.Context, webhookID string, window Input[time.Duration]) (*WebhookStats, error) {
	w, err := webhookFor(ctx, s.Store, s.Auth, webhookID, Read)
	if err != nil {
		return nil, err
	}
	win, err := window()
	if err != nil {
		return nil, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	since := now().UTC().Add(-win).Truncate(time.Millisecond)
	st, err := s.Store.WebhookStats(ctx, w.ID, since)
	if err != nil {
		return nil, err
	}
	out := &WebhookStats{WebhookID: w.ID, WindowSeconds: int64(win / time.Second), Since: since,
		LastSuccessAt: st.LastSuccessAt, LastFailureAt: st.LastFailureAt,
		ConsecutiveFailures: w.ConsecutiveFailures, Status: w.Status}
	out.Deliveries.Total, out.Deliveries.Succeeded, out.Deliveries.Failed = st.Deliveries.Total, st.Deliveries.Succeeded, st.Deliveries.Failed
	out.Deliveries.Pending, out.Deliveries.Cancelled = st.Deliveries.Pending, st.Deliveries.Cancelled
	out.Attempts.Total, out.Attempts.Succeeded, out.Attempts.Failed = st.Attempts.Total, st.Attempts.Succeeded, st.Attempts.Failed
	if finished := st.Deliveries.Succeeded + st.Deliveries.Failed; finished > 0 {
		ok := rate(st.Deliveries.Succeeded, finished)
		bad := rate(st.Deliveries.Failed, finished)
		out.SuccessRate, out.FailureRate = &ok, &bad
	}
	return out, nil
}

// rate is n/of rounded to four decimals.
func rate(n, of int) float64 {
	return math.Round(float64(n)/float64(of)*1e4) / 1e4
}

// ParseStatsWindow reads a statistics window: a Go duration (24h), a number of days (7d) or
// of seconds; DefaultStatsWindow when empty, at least a second and at most MaxStatsWindow.
func ParseStatsWindow(v string) (time.Duration, error) {
	if v == "" {
		return DefaultStatsWindow, nil
	}
	var d time.Duration
	var err error
	if n, convErr := strconv.ParseInt(v, 10, 64); convErr == nil {
		if n > int64(MaxStatsWindow/time.Second) {
			n = int64(MaxStatsWindow/time.Second) + 1
		}
		d = time.Duration(n) * time.Second
	} else if days, ok := strings.CutSuffix(v, "d"); ok {
		var n int64
		n, err = strconv.ParseInt(days, 10, 64)
		if n > 91 {
			n = 91
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(v)
	}
	switch {
	case err != nil:
		return 0, windowError("must be a duration such as 24h, 90m or 7d, or a number of seconds")
	case d < time.Second:
		return 0, windowError("must be at least 1 second")
	case d > MaxStatsWindow:
		return 0, windowError("must be at most 90 days (2160h)")
	}
	return d, nil
}

func windowError(msg string) error {
	return &herald.Error{Code: herald.EInvalid, Message: "invalid window",
		Details: []herald.ErrorDetail{{Field: "window", Message: msg}}}
}
