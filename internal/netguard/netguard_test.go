package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	strict := Policy{}
	dev := Policy{AllowHTTP: true, AllowLoopback: true}
	open := Policy{AllowHTTP: true, AllowLoopback: true, AllowPrivate: true}
	cases := []struct {
		name   string
		url    string
		policy Policy
		reason string // "" allowed, "url" a URLError, else the BlockedError reason
	}{
		{"a public https URL is allowed", "https://hooks.example.com/in?x=1", strict, ""},
		{"a public IPv4 literal is allowed", "https://93.184.216.34/hook", strict, ""},
		{"a public IPv6 literal is allowed", "https://[2606:2800:220:1::1]/hook", strict, ""},
		{"http is refused when not allowed", "http://hooks.example.com/", strict, "url"},
		{"http is allowed when allowed", "http://hooks.example.com/", dev, ""},
		{"another scheme is refused", "ftp://hooks.example.com/", open, "url"},
		{"a relative URL is refused", "/hooks", open, "url"},
		{"not a URL is refused", "https://exa mple.com/%zz", open, "url"},
		{"credentials in the URL are refused", "https://user:pw@hooks.example.com/", open, "url"},
		{"127.0.0.1 is loopback", "https://127.0.0.1:8443/", strict, ReasonLoopback},
		{"127.9.9.9 is loopback", "https://127.9.9.9/", strict, ReasonLoopback},
		{"::1 is loopback", "https://[::1]/", strict, ReasonLoopback},
		{"IPv4-mapped loopback is loopback", "https://[::ffff:127.0.0.1]/", strict, ReasonLoopback},
		{"localhost is loopback", "https://localhost:3000/", strict, ReasonLoopback},
		{"a .localhost name is loopback", "https://api.LOCALHOST./", strict, ReasonLoopback},
		{"loopback is allowed when allowed", "http://127.0.0.1:8080/", dev, ""},
		{"localhost is allowed when loopback is", "http://localhost:8080/", dev, ""},
		{"10/8 is private", "https://10.1.2.3/", dev, ReasonPrivate},
		{"172.16/12 is private", "https://172.31.255.1/", dev, ReasonPrivate},
		{"172.32 is public", "https://172.32.0.1/", strict, ""},
		{"192.168/16 is private", "https://192.168.0.10/", dev, ReasonPrivate},
		{"100.64/10 (CGNAT) is private", "https://100.64.0.1/", dev, ReasonPrivate},
		{"fc00::/7 is private", "https://[fd12:3456::1]/", dev, ReasonPrivate},
		{"NAT64 of a private address is private", "https://[64:ff9b::a00:1]/", dev, ReasonPrivate},
		{"a single-label name is private", "https://db:5432/", dev, ReasonPrivate},
		{"a .internal name is private", "https://svc.corp.internal/", dev, ReasonPrivate},
		{"private is allowed when allowed", "https://10.1.2.3/", open, ""},
		{"169.254/16 is link-local", "https://169.254.10.10/", dev, ReasonLinkLocal},
		{"fe80::/10 is link-local", "https://[fe80::1]/", dev, ReasonLinkLocal},
		{"the metadata address is refused even when private is allowed", "http://169.254.169.254/latest/meta-data", open, ReasonMetadata},
		{"the metadata name is refused", "http://metadata.google.internal/", open, ReasonMetadata},
		{"0.0.0.0 is refused under every policy", "http://0.0.0.0:8080/", open, ReasonReserved},
		{"0.0.0.0/8 is refused", "https://0.1.2.3/", open, ReasonReserved},
		{":: is refused", "https://[::]/", open, ReasonReserved},
		{"multicast is refused", "https://224.0.0.1/", open, ReasonReserved},
		{"IPv6 multicast is refused", "https://[ff02::1]/", open, ReasonReserved},
		{"broadcast is refused", "https://255.255.255.255/", open, ReasonReserved},
		{"a decimal IPv4 host is refused", "https://2130706433/", open, "url"},
		{"a hex IPv4 host is refused", "https://0x7f.1/", open, "url"},
		{"a scoped IPv6 address is refused", "https://[fe80::1%25eth0]/", open, "url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.policy.CheckURL(c.url)
			var ue *URLError
			switch {
			case c.reason == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.reason == "url" && !errors.As(err, &ue):
				t.Fatalf("err %v, want a URLError", err)
			case c.reason != "" && c.reason != "url":
				b := Blocked(err)
				if b == nil || b.Reason != c.reason {
					t.Fatalf("err %v, want blocked as %s", err, c.reason)
				}
			}
		})
	}
}

func TestControlRefusesAtConnectTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	client := func(p Policy) *http.Client {
		d := &net.Dialer{Timeout: 5 * time.Second, Control: p.Control}
		return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	}
	// "localhost" passes no literal check here: the name is resolved and the dialed address checked.
	url := "http://localhost:" + srv.URL[len("http://127.0.0.1:"):] + "/"

	t.Run("a name that resolves to loopback is refused with a BlockedError", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(context.Background(), "POST", url, nil)
		_, err := client(Policy{AllowHTTP: true}).Do(req)
		b := Blocked(err)
		if b == nil || b.Reason != ReasonLoopback {
			t.Fatalf("err %v, want a loopback BlockedError", err)
		}
	})
	t.Run("the same request goes through when loopback is allowed", func(t *testing.T) {
		resp, err := client(Policy{AllowHTTP: true, AllowLoopback: true}).Post(url, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	})
	t.Run("an address that is not an IP is refused", func(t *testing.T) {
		if Blocked((Policy{}).Control("tcp", "not-an-ip:80", nil)) == nil {
			t.Fatal("accepted")
		}
	})
}
