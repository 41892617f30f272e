package activities

import (
	"context"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/herald-webhooks/herald/internal/postgres"
)

// NewGuardedHTTPClient is NewHTTPClient whose connections are checked by control (e.g.
// netguard.Policy.Control) on the address dialed, after DNS. It uses no proxy, so the check
// is made on the webhook's own address. resolver is the DNS resolver; nil is the system's.
func NewGuardedHTTPClient(control func(network, address string, c syscall.RawConn) error, resolver *net.Resolver) *http.Client {
	c := NewHTTPClient()
	tr := c.Transport.(*http.Transport)
	tr.Proxy = nil
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: control, Resolver: resolver}
	tr.DialContext = d.DialContext
	return c
}

// ErrorKindBlocked is the error kind of an attempt whose address the network policy refused.
const ErrorKindBlocked = "blocked"

// Send makes one signed attempt of the target now with a's client and settings, as the deliver
// activity does, without recording it, and returns its outcome; an address refused by the
// network policy has the error kind "blocked". The API's test sends use it. (A function, not
// a method: every exported method of Activities is registered as an activity.)
func Send(ctx context.Context, a *Activities, t *postgres.Target, trigger string) Outcome {
	return a.send(ctx, t, trigger)
}
