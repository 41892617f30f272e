package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/app"
	"github.com/herald-webhooks/herald/internal/delivery"
)

// TestEventType is the event a test send uses when none is chosen. It needs no catalog entry.
const TestEventType = app.TestEventType

// testSender is app.TestSender: the deliver activity's body and request code with an HTTP
// client whose connections the URL policy checks after DNS.
type testSender struct{ s *Server }

func (t testSender) Body(ev *herald.Event, w *herald.Webhook, user *herald.User) ([]byte, error) {
	return activities.Body(ev, w, user)
}

func (t testSender) Send(ctx context.Context, target *herald.Target) delivery.Outcome {
	return activities.Send(ctx, t.s.testActivities(), target, herald.TriggerTest)
}

// testActivities are the activities test sends go through, built once.
func (s *Server) testActivities() *activities.Activities {
	s.senderOnce.Do(func() {
		s.sender = &activities.Activities{Store: s.Store, Logger: s.Logger, UserAgent: s.UserAgent,
			HTTP: activities.NewGuardedHTTPClient(s.URLPolicy.Control, nil)}
	})
	return s.sender
}

// testWebhook sends one event to the webhook now and answers with the outcome
// (app.Webhooks.Test).
func (s *Server) testWebhook(ref func(*gin.Context) app.WebhookRef) handler {
	return func(c *gin.Context) error {
		out, err := s.svc.webhooks.Test(c.Request.Context(), ref(c), func() (app.TestSend, error) {
			var in struct {
				Event string `json:"event"`
			}
			err := decodeOptionalJSON(c, &in)
			return app.TestSend{Event: in.Event}, err
		})
		if err != nil {
			return err
		}
		c.PureJSON(http.StatusOK, out)
		return nil
	}
}
