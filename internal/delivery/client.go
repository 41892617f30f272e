package delivery

import (
	"net"
	"net/http"
	"syscall"
	"time"
)

// NewHTTPClient returns the client deliveries use: pooled keep-alive connections, and
// redirects returned as responses (a 3xx is a failed attempt, never followed).
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 512
	tr.MaxIdleConnsPerHost = 64
	tr.IdleConnTimeout = 90 * time.Second
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

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
