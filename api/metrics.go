package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald/internal/metrics"
)

// metricsRoutes serves GET /metrics (Prometheus text format, no authentication: scrapers
// reach it on the API's address; it holds counts, never secrets or ids).
func (s *Server) metricsRoutes(g *gin.RouterGroup) {
	g.GET("/metrics", gin.WrapH(s.metrics().Handler()))
}

func (s *Server) metrics() *metrics.Metrics {
	if s.Metrics != nil {
		return s.Metrics
	}
	return metrics.Default
}

// knownMethods bounds the method label; anything else is "other".
var knownMethods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodPost: true,
	http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true}

// observe records every request's count and duration by method, route template and status.
// A request that matched no route is counted under the route "unmatched".
func (s *Server) observe() gin.HandlerFunc {
	m := s.metrics()
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		method := c.Request.Method
		if !knownMethods[method] {
			method = "other"
		}
		m.Request(method, route, c.Writer.Status(), time.Since(start))
	}
}
