package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/app"
	"github.com/herald-webhooks/herald/internal/delivery"
)

// TestEventType is the event a test send uses when none is chosen. It needs no catalog entry.
const TestEventType = app.TestEventType

// testSender is app.TestSender: the delivery core, as the deliver activity uses it, with an
// HTTP client whose connections the URL policy checks after DNS.
type testSender struct{ s *Server }

func (t testSender) Body(ev *herald.Event, w *herald.Webhook, user *herald.User) ([]byte, error) {
	return delivery.Body(ev, w, user)
}

func (t testSender) Send(ctx context.Context, target *herald.Target) delivery.Outcome {
	return t.s.coreSender().Send(ctx, delivery.RequestFor(target, herald.TriggerTest))
}

// coreSender is the core's sender test sends go through, built once.
func (s *Server) coreSender() *delivery.Sender {
	s.senderOnce.Do(func() {
		s.sender = &delivery.Sender{HTTP: delivery.NewGuardedHTTPClient(s.URLPolicy.Control, nil), UserAgent: s.UserAgent}
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
