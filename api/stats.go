package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/postgres"
)

func (s *Server) statsRoutes(g *gin.RouterGroup) {
	g.GET("/webhooks/:id/stats", s.webhookStats)
}

const (
	defaultStatsWindow = 24 * time.Hour
	maxStatsWindow     = 90 * 24 * time.Hour
)

// webhookStatsAnswer is the body of GET /webhooks/{id}/stats.
type webhookStatsAnswer struct {
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
	SuccessRate         *float64   `json:"success_rate"`
	FailureRate         *float64   `json:"failure_rate"`
	LastSuccessAt       *time.Time `json:"last_success_at"`
	LastFailureAt       *time.Time `json:"last_failure_at"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	Status              string     `json:"status"`
}

// webhookStats answers a webhook's delivery counts and rates over a window (?window=24h, a Go
// duration, a number of days like 7d, or seconds; default 24 h, at most 90 days).
func (s *Server) webhookStats(c *gin.Context) {
	ctx := c.Request.Context()
	w, err := s.Store.Webhook(ctx, c.Param("id"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.authorizeOwner(c, postgres.Owner{UserID: w.UserID, OrganizationID: w.OrganizationID}, read); err != nil {
		s.writeError(c, err)
		return
	}
	window, err := statsWindow(c.Query("window"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	since := time.Now().UTC().Add(-window).Truncate(time.Millisecond)
	st, err := s.Store.WebhookStats(ctx, w.ID, since)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := webhookStatsAnswer{WebhookID: w.ID, WindowSeconds: int64(window / time.Second), Since: since,
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
	c.PureJSON(http.StatusOK, out)
}

// rate is n/of rounded to four decimals.
func rate(n, of int) float64 {
	return math.Round(float64(n)/float64(of)*1e4) / 1e4
}

// statsWindow parses the window parameter.
func statsWindow(v string) (time.Duration, error) {
	if v == "" {
		return defaultStatsWindow, nil
	}
	var d time.Duration
	var err error
	if n, convErr := strconv.ParseInt(v, 10, 64); convErr == nil {
		if n > int64(maxStatsWindow/time.Second) {
			n = int64(maxStatsWindow/time.Second) + 1
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
	case d > maxStatsWindow:
		return 0, windowError("must be at most 90 days (2160h)")
	}
	return d, nil
}

func windowError(msg string) error {
	return &herald.Error{Code: herald.EInvalid, Message: "invalid window",
		Details: []herald.ErrorDetail{{Field: "window", Message: msg}}}
}
