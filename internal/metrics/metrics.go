// Package metrics holds Herald's Prometheus metrics: one registry with the API's request
// metrics, the delivery attempt metrics, the published-events counter and the Go runtime and
// process collectors, served in the Prometheus text format by Handler.
//
// Code that has a *Metrics passes it along; code that does not (activities, the starter) uses
// the package functions, which record into Default, the registry `herald api`, `herald worker`
// and `herald dev` serve.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Attempt outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// Metrics is a registry and Herald's collectors in it.
type Metrics struct {
	Registry *prometheus.Registry

	apiRequests     *prometheus.CounterVec
	apiDuration     *prometheus.HistogramVec
	attempts        *prometheus.CounterVec
	attemptDuration *prometheus.HistogramVec
	eventsPublished prometheus.Counter
	eventsDuplicate prometheus.Counter
	eventsRejected  prometheus.Counter
}

// New returns a registry with every Herald collector and the Go and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_api_requests_total",
			Help: "API requests answered, by method, route template and status code.",
		}, []string{"method", "route", "code"}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herald_api_request_duration_seconds",
			Help:    "Time to answer an API request, by method and route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_delivery_attempts_total",
			Help: "Delivery attempts made, by trigger (auto, manual, test) and outcome (success: a 2xx answer; failure).",
		}, []string{"trigger", "outcome"}),
		attemptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herald_delivery_attempt_duration_seconds",
			Help:    "Duration of delivery attempts (the HTTP request to the endpoint), by trigger and outcome.",
			Buckets: []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"trigger", "outcome"}),
		eventsPublished: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_events_published_total",
			Help: "Events accepted for delivery (a re-publish of an already accepted id is not counted).",
		}),
		eventsDuplicate: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_events_duplicate_total",
			Help: "Publishes of an event id that had already been accepted with the same content.",
		}),
		eventsRejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_events_rejected_total",
			Help: "Publishes refused as invalid (bad fields, unknown or archived type, data failing the type's schema).",
		}),
	}
	m.Registry.MustRegister(m.apiRequests, m.apiDuration, m.attempts, m.attemptDuration,
		m.eventsPublished, m.eventsDuplicate, m.eventsRejected,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Default is the registry the package functions record into.
var Default = New()

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Request records one answered API request. route is the route template
// ("/api/v1/webhooks/:id"), never the raw path, so the label set stays bounded.
func (m *Metrics) Request(method, route string, code int, d time.Duration) {
	m.apiRequests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
	m.apiDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// Attempt records one delivery attempt: its trigger (auto, manual, test), whether it got a
// 2xx answer and how long the request took.
func (m *Metrics) Attempt(trigger string, ok bool, d time.Duration) {
	outcome := OutcomeFailure
	if ok {
		outcome = OutcomeSuccess
	}
	m.attempts.WithLabelValues(trigger, outcome).Inc()
	m.attemptDuration.WithLabelValues(trigger, outcome).Observe(d.Seconds())
}

// Published records one accepted publish: a new event (created) or a duplicate of one.
func (m *Metrics) Published(created bool) {
	if created {
		m.eventsPublished.Inc()
	} else {
		m.eventsDuplicate.Inc()
	}
}

// Rejected records a publish refused as invalid.
func (m *Metrics) Rejected() { m.eventsRejected.Inc() }

// Attempt records one delivery attempt in Default.
func Attempt(trigger string, ok bool, d time.Duration) { Default.Attempt(trigger, ok, d) }

// Published records an accepted (created) or duplicate publish in Default.
func Published(created bool) { Default.Published(created) }

// Rejected records a publish refused as invalid in Default.
func Rejected() { Default.Rejected() }

// Handler serves Default.
func Handler() http.Handler { return Default.Handler() }
