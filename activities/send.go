package activities

import (
	"context"
	"github.com/herald-webhooks/herald"

	"github.com/herald-webhooks/herald/internal/delivery"
)

// Send makes one signed attempt of the target now with a's client and settings, as the deliver
// activity does, without recording it, and returns its outcome; an address refused by the
// network policy has the error kind "blocked". The API's test sends use it. (A function, not
// a method: every exported method of Activities is registered as an activity.)
func Send(ctx context.Context, a *Activities, t *herald.Target, trigger herald.Trigger) delivery.Outcome {
	return a.send(ctx, t, trigger)
}

// send signs the target's body for this moment and POSTs it, within the webhook's timeout.
func (a *Activities) send(ctx context.Context, t *herald.Target, trigger herald.Trigger) delivery.Outcome {
	return a.sender().Send(ctx, request(t, trigger))
}
