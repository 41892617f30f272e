// Package netguard decides which webhook URLs and addresses Herald may send to, so that a
// webhook cannot make Herald reach its own network (SSRF).
//
// A Policy is checked twice: CheckURL when a webhook is saved (scheme, literal IP addresses
// and obviously local host names; no DNS), and Control when a connection is made, after DNS,
// on the address actually dialed, so a public name that resolves to a private address is
// refused too. Loopback and private networks (RFC 1918, unique local IPv6, CGNAT, link-local)
// are allowed only when the policy says so; unspecified, multicast, broadcast and reserved
// addresses and the cloud metadata endpoints are refused under every policy.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Policy says which destinations a deployment allows beyond public HTTPS.
type Policy struct {
	AllowHTTP     bool // plain http:// URLs
	AllowLoopback bool // 127.0.0.0/8, ::1, localhost
	AllowPrivate  bool // 10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10, link-local
}

// Reasons a destination is refused.
const (
	ReasonLoopback  = "loopback"
	ReasonPrivate   = "private"
	ReasonLinkLocal = "link-local"
	ReasonMetadata  = "metadata"
	ReasonReserved  = "reserved" // unspecified, 0.0.0.0/8, multicast, broadcast, 240/4
)

// BlockedError is a destination the policy refuses.
type BlockedError struct {
	Address string // the IP address (or host name) refused
	Reason  string // one of the Reason constants
}

func (e *BlockedError) Error() string { return "netguard: " + e.Message() }

// Message says what was refused, for a person.
func (e *BlockedError) Message() string {
	what := map[string]string{
		ReasonLoopback: "a loopback address", ReasonPrivate: "a private network address",
		ReasonLinkLocal: "a link-local address", ReasonMetadata: "a cloud metadata address",
		ReasonReserved: "a reserved address",
	}[e.Reason]
	return fmt.Sprintf("%s is %s; this deployment does not send there", e.Address, what)
}

// URLError is a URL that is not a usable webhook URL, whatever its address.
type URLError struct {
	Message string
}

func (e *URLError) Error() string { return e.Message }

var (
	prefixes = func(ss ...string) []netip.Prefix {
		out := make([]netip.Prefix, len(ss))
		for i, s := range ss {
			out[i] = netip.MustParsePrefix(s)
		}
		return out
	}
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack
		netip.MustParseAddr("169.254.170.2"),   // AWS ECS task metadata
		netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
		netip.MustParseAddr("fd00:ec2::254"),   // AWS IPv6
	}
	reservedRanges = prefixes("0.0.0.0/8", "240.0.0.0/4", "224.0.0.0/4", "ff00::/8", "::/96", "100::/64")
	privateRanges  = prefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
		"198.18.0.0/15", "fc00::/7")
	linkLocalRanges = prefixes("169.254.0.0/16", "fe80::/10")
	nat64           = netip.MustParsePrefix("64:ff9b::/96")
)

// classify names the reason an address is not public, "" for a public address.
func classify(ip netip.Addr) string {
	ip = ip.Unmap()
	if nat64.Contains(ip) { // NAT64 carries an IPv4 address in its last 4 bytes
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, m := range metadataAddrs {
		if ip == m {
			return ReasonMetadata
		}
	}
	switch {
	case ip.IsLoopback():
		return ReasonLoopback
	case ip.IsUnspecified():
		return ReasonReserved
	}
	for _, p := range reservedRanges {
		if p.Contains(ip) {
			return ReasonReserved
		}
	}
	for _, p := range linkLocalRanges {
		if p.Contains(ip) {
			return ReasonLinkLocal
		}
	}
	for _, p := range privateRanges {
		if p.Contains(ip) {
			return ReasonPrivate
		}
	}
	return ""
}

func (p Policy) allows(reason string) bool {
	switch reason {
	case "":
		return true
	case ReasonLoopback:
		return p.AllowLoopback
	case ReasonPrivate, ReasonLinkLocal:
		return p.AllowPrivate
	}
	return false
}

// CheckIP is nil when the policy allows connecting to ip, a *BlockedError otherwise.
func (p Policy) CheckIP(ip netip.Addr) error {
	if r := classify(ip); !p.allows(r) {
		return &BlockedError{Address: ip.Unmap().String(), Reason: r}
	}
	return nil
}

// hostReason classifies a host name without resolving it: names that are local by
// convention. Other names are checked after DNS, by Control.
func hostReason(host string) string {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	switch {
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return ReasonLoopback
	case h == "metadata" || h == "metadata.google.internal" || h == "instance-data" || strings.HasSuffix(h, ".metadata.google.internal"):
		return ReasonMetadata
	case !strings.Contains(h, "."), strings.HasSuffix(h, ".local"), strings.HasSuffix(h, ".internal"),
		strings.HasSuffix(h, ".home.arpa"), strings.HasSuffix(h, ".lan"), strings.HasSuffix(h, ".intranet"):
		return ReasonPrivate
	}
	return ""
}

// numericHost reports host names that resolvers may read as an IPv4 address in another form
// (2130706433, 0x7f.1, 0177.0.0.1).
func numericHost(h string) bool {
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	last := strings.ToLower(labels[len(labels)-1])
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") {
		return true
	}
	return strings.Trim(last, "0123456789") == ""
}

// CheckURL is nil when raw is a webhook URL the policy allows: absolute http(s), no
// credentials, https unless AllowHTTP, and a host that is not a refused literal address or an
// obviously local name. It returns a *URLError or a *BlockedError.
func (p Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return &URLError{Message: "must be an absolute URL such as https://example.com/webhooks"}
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !p.AllowHTTP {
			return &URLError{Message: "must use https; this deployment does not allow http"}
		}
	default:
		return &URLError{Message: "must be an https URL"}
	}
	if u.User != nil {
		return &URLError{Message: "must not contain credentials; use custom headers instead"}
	}
	host := u.Hostname()
	if host == "" {
		return &URLError{Message: "must name a host"}
	}
	if port := u.Port(); port == "0" {
		return &URLError{Message: "must not use port 0"}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return &URLError{Message: "must not use a scoped IPv6 address"}
		}
		return p.CheckIP(ip)
	}
	if numericHost(host) {
		return &URLError{Message: "must write an IP address in dotted form"}
	}
	if r := hostReason(host); !p.allows(r) {
		return &BlockedError{Address: host, Reason: r}
	}
	return nil
}

// Control checks the address a connection is about to be made to; it has the signature of
// net.Dialer.Control, and refuses with a *BlockedError an address the policy does not allow.
// The address is the one DNS answered, so names that resolve to refused addresses are caught.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &BlockedError{Address: host, Reason: ReasonReserved}
	}
	return p.CheckIP(ip)
}

// Blocked returns the *BlockedError in err's chain, nil when there is none.
func Blocked(err error) *BlockedError {
	var b *BlockedError
	if errors.As(err, &b) {
		return b
	}
	return nil
}
