package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald/internal/app"
)

func (s *Server) statsRoutes(g *gin.RouterGroup) {
	g.GET("/webhooks/:id/stats", s.handle(s.webhookStats))
}

// webhookStats answers a webhook's delivery counts and rates over a window (?window=24h, a Go
// duration, a number of days like 7d, or seconds; default 24 h, at most 90 days).
func (s *Server) webhookStats(c *gin.Context) error {
	out, err := s.svc.stats.Webhook(c.Request.Context(), c.Param("id"), func() (time.Duration, error) {
		return app.ParseStatsWindow(c.Query("window"))
	})
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusOK, out)
	return nil
}
