package delivery

import (
	"fmt"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/payload"
)

// Body builds the exact bytes a delivery of ev to w sends (SPEC section 6), in the body shape
// w's format names (package payload). user is the directory's entry of the event's user, nil
// when it has none: the body then names the user by ID only. The bytes are built once, when the
// delivery is created, and every attempt sends them unchanged.
func Body(ev *herald.Event, w *herald.Webhook, user *herald.User) ([]byte, error) {
	shape, ok := payload.ShapeNamed(w.Format)
	if !ok {
		return nil, fmt.Errorf("unknown payload format %q", w.Format)
	}
	m := payload.Message{EventID: ev.ID, EventType: ev.Type, Timestamp: ev.Timestamp, WebhookID: w.ID,
		Organization: ev.OrganizationID, Data: ev.Data}
	if w.OrganizationID != "" {
		m.Organization = w.OrganizationID
	}
	if ev.UserID != "" {
		m.User = &payload.User{ID: ev.UserID}
		if user != nil {
			m.User.Email, m.User.Name = user.Email, user.Name
		}
	}
	return shape.Build(m)
}
