package api_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/netguard"
)

// dnsServer is a real DNS server on loopback that answers A queries from a fixed table: a
// hostname that looks public but resolves to a forbidden address, as a DNS-rebinding attacker
// would set up.
func dnsServer(t *testing.T, records map[string]net.IP) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			_ = b.StartQuestions()
			_ = b.Question(q)
			_ = b.StartAnswers()
			if ip := records[strings.ToLower(q.Name.String())]; ip != nil && q.Type == dnsmessage.TypeA {
				var a [4]byte
				copy(a[:], ip.To4())
				_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60},
					dnsmessage.AResource{A: a})
			}
			msg, err := b.Finish()
			if err == nil {
				_, _ = pc.WriteTo(msg, from)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// TestConnectTimeAddressCheck: a webhook whose hostname resolves to loopback or to the cloud
// metadata address is refused when the worker connects (the API could not know at save time),
// and the attempt says why; nothing reaches the address.
func TestConnectTimeAddressCheck(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(r.URL, "http://"))
	resolver := dnsServer(t, map[string]net.IP{
		"hooks.rebind.test.":    net.ParseIP("127.0.0.1"),
		"metadata.rebind.test.": net.ParseIP("169.254.169.254"),
	})
	// The worker's policy allows http but not loopback: a production worker's, with http for the test.
	e.worker.Stop()
	e.startWorkerWith(activities.NewGuardedHTTPClient(netguard.Policy{AllowHTTP: true}.Control, resolver))

	for _, tc := range []struct{ host, reason string }{
		{"hooks.rebind.test", netguard.ReasonLoopback},
		{"metadata.rebind.test", netguard.ReasonMetadata},
	} {
		t.Run(tc.host+" is refused as "+tc.reason, func(t *testing.T) {
			w := e.createWebhook("/users/u_2", "http://"+tc.host+":"+port+"/hook", []string{"summary.completed"},
				map[string]any{"retry": retryWith(3, 1, 1, 1)})
			id := e.ev("evt_ssrf_" + tc.reason)
			e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": "summary.completed", "user_id": "u_2",
				"data": map[string]any{}}, nil)
			d := e.waitDeliveries(id, 1)
			var full struct {
				Status     string `json:"status"`
				AttemptLog []struct {
					ErrorKind string `json:"error_kind"`
					Error     string `json:"error"`
				} `json:"attempt_log"`
			}
			for _, x := range d {
				if x.WebhookID == w.ID {
					e.mustDo(200, "GET", "/deliveries/"+x.ID, nil, &full)
				}
			}
			if full.Status != "failed" || len(full.AttemptLog) != 1 {
				t.Fatalf("delivery %+v, want failed after one attempt (a refused address is not retried)", full)
			}
			a := full.AttemptLog[0]
			if a.ErrorKind != "blocked" || !strings.Contains(a.Error, tc.reason) {
				t.Fatalf("attempt %+v, want error kind blocked naming %s", a, tc.reason)
			}
			e.mustDo(200, "POST", "/webhooks/"+w.ID+"/deactivate", nil, nil)
		})
	}
	if got := len(r.requests("/hook")); got != 0 {
		t.Fatalf("the receiver on loopback got %d requests", got)
	}
}
