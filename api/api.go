// Package api is Herald's REST API (Gin) under /api/v1: configuration, publishing, delivery
// logs. Every error is answered with the JSON error model of SPEC section 7, mapped from Herald
// error codes in exactly one function (statusOf).
package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/app"
	"github.com/herald-webhooks/herald/internal/delivery"
	"github.com/herald-webhooks/herald/internal/metrics"
	"github.com/herald-webhooks/herald/internal/netguard"
	"github.com/herald-webhooks/herald/internal/postgres"
	"github.com/herald-webhooks/herald/starter"
)

// DefaultMaxBody is the request body limit (SPEC: 256 KiB).
const DefaultMaxBody = 256 << 10

// Server serves the REST API.
type Server struct {
	Store     *postgres.Store
	Publisher *starter.Publisher
	Temporal  client.Client
	Logger    *slog.Logger
	MaxBody   int64            // request body limit in bytes; DefaultMaxBody when 0
	Metrics   *metrics.Metrics // request metrics and GET /metrics; metrics.Default when nil
	// URLPolicy is which webhook URLs and addresses are allowed (checked when a webhook is
	// saved, and at connect time by test sends); the zero value allows public HTTPS only.
	URLPolicy netguard.Policy
	UserAgent string // User-Agent of test sends; "Herald-Webhook/<version>" when empty
	// Timeouts bound each connection of HTTPServer; DefaultTimeouts for the zero fields.
	Timeouts Timeouts
	// DisableAfter is how long a new webhook must fail continuously (with at least its
	// disable_after_failures attempts) before it is disabled, unless its request or preset
	// sets disable_after_seconds; DefaultDisableAfter (a day) when 0.
	DisableAfter time.Duration

	senderOnce sync.Once
	sender     *delivery.Sender // test sends; see testSender

	svc services // built by engine
}

// services are the application services the handlers call (package app): each gets the
// parts of the store and of Temporal it uses, and decides its callers' rights itself.
type services struct {
	deliveries *app.Deliveries
	webhooks   *app.Webhooks
	control    *app.Control
	stats      *app.Stats
	directory  *app.DirectoryService
	tokens     *app.Tokens
	events     *app.Events
	catalog    *app.Catalog
}

func (s *Server) newServices() services {
	wf := temporalWorkflows{client: s.Temporal, taskQueue: s.taskQueue()}
	return services{
		deliveries: &app.Deliveries{Store: s.Store, Dir: s.Store, Auth: s.authz()},
		webhooks: &app.Webhooks{Store: s.Store, Dir: s.Store, URLs: s.URLPolicy, Catalog: s.Store, Workflows: wf,
			Tests: s.Store, Sender: testSender{s},
			Auth: s.authz(), Logger: s.Logger, DisableAfter: s.DisableAfter},
		control:   &app.Control{Store: s.Store, Workflows: wf, Auth: s.authz()},
		stats:     &app.Stats{Store: s.Store, Auth: s.authz()},
		directory: &app.DirectoryService{Store: s.Store, Workflows: wf, Auth: s.authz(), Logger: s.Logger},
		tokens:    &app.Tokens{Store: s.Store, Auth: s.authz()},
		events:    &app.Events{Publisher: s.Publisher, Store: s.Store, Auth: s.authz()},
		catalog:   &app.Catalog{Store: s.Store, Auth: s.authz()},
	}
}

// Handler returns the API's HTTP handler; HTTPServer serves it with the API's timeouts.
func (s *Server) Handler() http.Handler { return s.engine() }

func (s *Server) engine() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	s.svc = s.newServices()
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(s.observe(), s.recoverer(), s.limitBody(), s.checkURLText())
	r.NoRoute(func(c *gin.Context) { s.writeError(c, herald.Errorf(herald.ENotFound, "no such route")) })
	r.NoMethod(func(c *gin.Context) {
		s.writeError(c, herald.Errorf(herald.EMethodNotAllowed, "method not allowed on this route"))
	})
	r.GET("/healthz", func(c *gin.Context) { c.PureJSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.readyz)
	s.metricsRoutes(&r.RouterGroup)
	s.openapiRoutes(&r.RouterGroup)

	v1 := r.Group("/api/v1", s.authenticate())
	s.catalogRoutes(v1)
	s.directoryRoutes(v1)
	s.tokenRoutes(v1)
	s.webhookRoutes(v1)
	s.eventRoutes(v1)
	s.deliveryRoutes(v1)
	s.controlRoutes(v1)
	s.statsRoutes(v1)
	return r
}

// recoverer turns a panic into a 500 in the error model; the process keeps serving.
func (s *Server) recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				s.Logger.Error("panic in handler", "path", c.FullPath(), "panic", v)
				s.writeError(c, herald.Errorf(herald.EInternal, "internal error"))
			}
		}()
		c.Next()
	}
}

func (s *Server) limitBody() gin.HandlerFunc {
	limit := s.MaxBody
	if limit == 0 {
		limit = DefaultMaxBody
	}
	return func(c *gin.Context) {
		if c.Request.ContentLength > limit {
			s.writeError(c, herald.Errorf(herald.ETooLarge, "request body is over the limit of %d bytes", limit))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{"postgres": "ok", "temporal": "ok"}
	ready := true
	if err := s.Store.Ping(ctx); err != nil {
		checks["postgres"], ready = "unavailable", false
	}
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"], ready = "unavailable", false
	}
	if !ready {
		c.PureJSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "checks": checks})
		return
	}
	c.PureJSON(http.StatusOK, gin.H{"status": "ok", "checks": checks})
}

// list is the shape of every list answer.
type list[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

func pageLimit(c *gin.Context) (int, error) { return app.ParseLimit(c.Query("limit")) }
