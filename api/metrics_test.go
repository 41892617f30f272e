package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/metrics"
	"github.com/herald-webhooks/herald/starter"
)

func TestMetricsCountRequestsByRouteTemplate(t *testing.T) {
	e := newEnv(t)
	e.directory()
	m := metrics.New()
	srv := &api.Server{Store: e.store, Temporal: stack.Client, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: m, Publisher: &starter.Publisher{Store: e.store, Temporal: stack.Client, TaskQueue: e.queue, Metrics: m}}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	e.api = hs // e.do now talks to this server

	e.mustDo(200, "GET", "/event-types", nil, nil)
	e.mustDo(200, "GET", "/event-types", nil, nil)
	e.expectError(404, "not_found", "", "GET", "/webhooks/wh_one/stats", nil)
	e.expectError(404, "not_found", "", "GET", "/webhooks/wh_two/stats", nil)
	e.expectError(404, "not_found", "", "GET", "/no/such/route", nil)
	if st, ans := e.publish(e.ev("evt_metrics"), "summary.completed", `{}`); st != 202 {
		t.Fatalf("publish = %d %+v", st, ans)
	}
	e.publish(e.ev("evt_metrics_bad"), "no.such.type", `{}`)

	resp, err := http.Get(hs.URL + "/metrics") // no Authorization header
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := string(body)
	for _, line := range []string{
		`herald_api_requests_total{code="200",method="GET",route="/api/v1/event-types"} 2`,
		`herald_api_requests_total{code="404",method="GET",route="/api/v1/webhooks/:id/stats"} 2`,
		`herald_api_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`herald_api_requests_total{code="202",method="POST",route="/api/v1/events"} 1`,
		`herald_api_request_duration_seconds_count{method="GET",route="/api/v1/event-types"} 2`,
		`herald_events_published_total 1`,
		`herald_events_rejected_total 1`,
		`go_goroutines `,
	} {
		if !strings.Contains(out, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	if strings.Contains(out, "wh_one") {
		t.Error("a raw path is a label value; routes must be templates")
	}
}
