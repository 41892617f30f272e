package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestRecordedValuesAreExposed(t *testing.T) {
	m := New()
	m.Attempt("auto", true, 120*time.Millisecond)
	m.Attempt("auto", false, time.Second)
	m.Attempt("auto", false, time.Second)
	m.Attempt("manual", true, time.Millisecond)
	m.Published(true)
	m.Published(true)
	m.Published(false)
	m.Rejected()
	m.Request("GET", "/api/v1/webhooks/:id/stats", 200, 5*time.Millisecond)
	out := scrape(t, m)
	for _, line := range []string{
		`herald_delivery_attempts_total{outcome="success",trigger="auto"} 1`,
		`herald_delivery_attempts_total{outcome="failure",trigger="auto"} 2`,
		`herald_delivery_attempts_total{outcome="success",trigger="manual"} 1`,
		`herald_delivery_attempt_duration_seconds_count{outcome="failure",trigger="auto"} 2`,
		`herald_delivery_attempt_duration_seconds_sum{outcome="failure",trigger="auto"} 2`,
		`herald_events_published_total 2`,
		`herald_events_duplicate_total 1`,
		`herald_events_rejected_total 1`,
		`herald_api_requests_total{code="200",method="GET",route="/api/v1/webhooks/:id/stats"} 1`,
		`herald_api_request_duration_seconds_count{method="GET",route="/api/v1/webhooks/:id/stats"} 1`,
		`go_goroutines `,
		`process_cpu_seconds_total `,
	} {
		if !strings.Contains(out, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

func TestRegistriesAreIndependent(t *testing.T) {
	a, b := New(), New()
	a.Published(true)
	if out := scrape(t, b); strings.Contains(out, "herald_events_published_total 1") {
		t.Error("a count in one registry shows in another")
	}
}
