package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/app"
)

// controlRoutes are the operator's levers on deliveries: redeliver one, replay many.
func (s *Server) controlRoutes(g *gin.RouterGroup) {
	g.POST("/deliveries/:id/redeliver", s.handle(s.redeliver))
	g.POST("/deliveries/:id/cancel", s.handle(s.cancelDelivery))
	g.POST("/webhooks/:id/replay", s.handle(s.replay))
	g.GET("/replays/:id", s.handle(s.getReplay))
}

// redeliver starts one manual attempt of a delivery in any final state, as its own workflow.
func (s *Server) redeliver(c *gin.Context) error {
	out, err := s.svc.control.Redeliver(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusAccepted, out)
	return nil
}

// cancelDelivery stops a pending delivery.
func (s *Server) cancelDelivery(c *gin.Context) error {
	d, err := s.svc.control.Cancel(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusOK, d)
	return nil
}

type replayRequest struct {
	Since  *time.Time `json:"since"`
	Until  *time.Time `json:"until"`
	Status statuses   `json:"status"`
}

// statuses is one status or a list of them.
type statuses []herald.DeliveryStatus

func (st *statuses) UnmarshalJSON(b []byte) error {
	var one herald.DeliveryStatus
	if err := json.Unmarshal(b, &one); err == nil {
		*st = statuses{one}
		return nil
	}
	return json.Unmarshal(b, (*[]herald.DeliveryStatus)(st))
}

// replay starts a replay workflow over a webhook's deliveries in a time range and status.
func (s *Server) replay(c *gin.Context) error {
	view, err := s.svc.control.Replay(c.Request.Context(), c.Param("id"), func() (app.ReplayRequest, error) {
		var in replayRequest
		err := decodeOptionalJSON(c, &in)
		return app.ReplayRequest{Since: in.Since, Until: in.Until, Statuses: in.Status}, err
	})
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusAccepted, view)
	return nil
}

// getReplay shows a replay's progress.
func (s *Server) getReplay(c *gin.Context) error {
	view, err := s.svc.control.ReplayStatus(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusOK, view)
	return nil
}
