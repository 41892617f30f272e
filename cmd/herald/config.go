package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/herald-webhooks/herald/api"
	"github.com/herald-webhooks/herald/internal/netguard"
	"github.com/herald-webhooks/herald/internal/postgres"
	"github.com/herald-webhooks/herald/internal/secretbox"
)

// config is every setting of every command, from flags with environment defaults.
type config struct {
	MetricsAddr     string
	DataDir         string
	APIAddr         string
	TemporalPort    int
	UIPort          int
	DatabaseURL     string
	TemporalAddress string
	Namespace       string
	AdminKey        string
	UserAgent       string
	// DisableAfter is the deployment's failing duration before auto-disable (api.Server.DisableAfter).
	DisableAfter time.Duration
	// SecretKey is the base64 of the 32-byte key that encrypts webhook secrets at rest.
	SecretKey string
	// Which webhook destinations are allowed beyond public HTTPS (netguard.Policy).
	AllowHTTP, AllowLoopback, AllowPrivate bool
	// APITimeouts bound each API connection (api.Timeouts).
	APITimeouts api.Timeouts

	envErr error // environment values the flags could not take, reported by checkEnv
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// durationVar registers a duration flag that must be positive; its default is the variable
// envName when set, else def. An unusable variable is reported by checkEnv.
func (c *config) durationVar(fs *flag.FlagSet, p *time.Duration, name, envName string, def time.Duration, usage string) {
	*p = def
	v := positiveDuration{p}
	fs.Var(v, name, usage)
	if e := os.Getenv(envName); e != "" {
		if err := v.Set(e); err != nil {
			c.envErr = errors.Join(c.envErr, fmt.Errorf("%s: %w", envName, err))
		}
	}
}

// checkEnv reports the environment variables whose values the flags could not take, then the
// values check refuses.
func (c *config) checkEnv() error {
	if c.envErr != nil {
		return c.envErr
	}
	return c.check()
}

// positiveDuration is a flag.Value that takes a time.ParseDuration duration above zero.
type positiveDuration struct{ p *time.Duration }

func (d positiveDuration) String() string {
	if d.p == nil {
		return ""
	}
	return d.p.String()
}

func (d positiveDuration) Set(v string) error {
	x, err := time.ParseDuration(v)
	if err != nil || x <= 0 {
		return fmt.Errorf("%q is not a positive duration such as 30s or 2m", v)
	}
	*d.p = x
	return nil
}

// hiddenString is a string flag whose value help and usage never print: the flag package
// prints every default (on -h and on any parse error), and the defaults come from the
// environment, which holds keys and passwords. show is what help may print of the value (nil:
// nothing).
type hiddenString struct {
	p    *string
	show func(string) string
}

func (h hiddenString) String() string {
	if h.p == nil || h.show == nil {
		return ""
	}
	return h.show(*h.p)
}

func (h hiddenString) Set(v string) error { *h.p = v; return nil }

// secretVar registers a string flag whose value is a secret: it starts as value, and help
// shows it as show does (nil: not at all).
func secretVar(fs *flag.FlagSet, p *string, name, value, usage string, show func(string) string) {
	*p = value
	fs.Var(hiddenString{p: p, show: show}, name, usage)
}

// flags registers the settings a command uses on fs; which ones depends on the command.
func (c *config) flags(fs *flag.FlagSet, dev bool) {
	secretVar(fs, &c.DatabaseURL, "database-url", env("HERALD_DATABASE_URL", ""), "PostgreSQL `URL` (env HERALD_DATABASE_URL)", postgres.RedactURL)
	fs.StringVar(&c.TemporalAddress, "temporal-address", env("HERALD_TEMPORAL_ADDRESS", ""), "Temporal frontend host:port (env HERALD_TEMPORAL_ADDRESS)")
	fs.StringVar(&c.Namespace, "namespace", env("HERALD_TEMPORAL_NAMESPACE", "default"), "Temporal namespace (env HERALD_TEMPORAL_NAMESPACE)")
	fs.StringVar(&c.DataDir, "data-dir", env("HERALD_DATA_DIR", ".herald"), "data directory of the dev stack (env HERALD_DATA_DIR)")
	fs.StringVar(&c.APIAddr, "api-addr", env("HERALD_API_ADDR", "127.0.0.1:8080"), "API listen address (env HERALD_API_ADDR)")
	secretVar(fs, &c.AdminKey, "admin-key", env("HERALD_ADMIN_KEY", ""), "admin API `key` to accept (env HERALD_ADMIN_KEY)", nil)
	fs.StringVar(&c.UserAgent, "user-agent", env("HERALD_USER_AGENT", ""), "User-Agent of deliveries (env HERALD_USER_AGENT; default Herald-Webhook/<version>)")
	c.durationVar(fs, &c.DisableAfter, "disable-after", "HERALD_DISABLE_AFTER", api.DefaultDisableAfter,
		"how long a webhook must fail continuously (no success, and at least its disable_after_failures attempts) "+
			"before it is disabled, for webhooks that set no disable_after_seconds (env HERALD_DISABLE_AFTER)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("HERALD_METRICS_ADDR", ""), "worker: listen address of GET /metrics (env HERALD_METRICS_ADDR; off when empty; the API serves /metrics itself)")
	secretVar(fs, &c.SecretKey, "secret-key", env("HERALD_SECRET_KEY", ""), "base64 of the 32-byte `key` that encrypts webhook secrets at rest (env HERALD_SECRET_KEY; dev keeps one in <data dir>/secret-key)", nil)
	// dev allows http and loopback destinations, so webhooks can point at local receivers.
	fs.BoolVar(&c.AllowHTTP, "allow-http", envBool("HERALD_ALLOW_HTTP", dev), "allow http:// webhook URLs (env HERALD_ALLOW_HTTP)")
	fs.BoolVar(&c.AllowLoopback, "allow-loopback", envBool("HERALD_ALLOW_LOOPBACK", dev), "allow webhooks to loopback addresses and localhost (env HERALD_ALLOW_LOOPBACK)")
	fs.BoolVar(&c.AllowPrivate, "allow-private-networks", envBool("HERALD_ALLOW_PRIVATE_NETWORKS", false), "allow webhooks to private, CGNAT and link-local addresses (env HERALD_ALLOW_PRIVATE_NETWORKS)")
	c.durationVar(fs, &c.APITimeouts.ReadHeader, "api-read-header-timeout", "HERALD_API_READ_HEADER_TIMEOUT", api.DefaultTimeouts.ReadHeader,
		"API: time a request's line and headers may take to arrive (env HERALD_API_READ_HEADER_TIMEOUT)")
	c.durationVar(fs, &c.APITimeouts.Read, "api-read-timeout", "HERALD_API_READ_TIMEOUT", api.DefaultTimeouts.Read,
		"API: time a whole request, headers and body, may take to arrive (env HERALD_API_READ_TIMEOUT)")
	c.durationVar(fs, &c.APITimeouts.Write, "api-write-timeout", "HERALD_API_WRITE_TIMEOUT", api.DefaultTimeouts.Write,
		"API: time from a request's headers to the end of its answer; above 60s, the longest test send (env HERALD_API_WRITE_TIMEOUT)")
	c.durationVar(fs, &c.APITimeouts.Idle, "api-idle-timeout", "HERALD_API_IDLE_TIMEOUT", api.DefaultTimeouts.Idle,
		"API: time a kept-alive connection may wait for its next request (env HERALD_API_IDLE_TIMEOUT)")
	if dev {
		fs.IntVar(&c.TemporalPort, "temporal-port", envInt("HERALD_TEMPORAL_PORT", 7233), "embedded Temporal frontend port (env HERALD_TEMPORAL_PORT)")
		fs.IntVar(&c.UIPort, "ui-port", envInt("HERALD_UI_PORT", 8233), "embedded Temporal Web UI port (env HERALD_UI_PORT)")
	}
}

// check validates the values of the settings (checkEnv runs it after the environment's errors).
func (c *config) check() error {
	if c.DisableAfter < time.Second || c.DisableAfter > 30*24*time.Hour {
		return fmt.Errorf("disable-after (HERALD_DISABLE_AFTER) must be between 1s and 720h, not %s", c.DisableAfter)
	}
	return nil
}

// external checks that a production command has its two services.
func (c *config) external() error {
	var missing []string
	if c.DatabaseURL == "" {
		missing = append(missing, "HERALD_DATABASE_URL (or -database-url)")
	}
	if c.TemporalAddress == "" {
		missing = append(missing, "HERALD_TEMPORAL_ADDRESS (or -temporal-address)")
	}
	if len(missing) > 0 {
		return errors.New("set " + strings.Join(missing, " and ") + "; or run `herald dev` for the embedded stack")
	}
	return nil
}

// urlPolicy is the webhook destination policy the settings describe.
func (c config) urlPolicy() netguard.Policy {
	return netguard.Policy{AllowHTTP: c.AllowHTTP, AllowLoopback: c.AllowLoopback, AllowPrivate: c.AllowPrivate}
}

// secretBox is the box of HERALD_SECRET_KEY; api and worker do not start without one.
func (c *config) secretBox() (*secretbox.Box, error) {
	if c.SecretKey == "" {
		return nil, errors.New("set HERALD_SECRET_KEY (or -secret-key) to the base64 of 32 random bytes, " +
			"e.g. `openssl rand -base64 32`: it encrypts webhook secrets at rest, and every api and worker of a " +
			"deployment needs the same one")
	}
	key, err := secretbox.ParseKey(c.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("HERALD_SECRET_KEY: %w", err)
	}
	return secretbox.New(key)
}

// devSecretBox is the dev stack's box: HERALD_SECRET_KEY, or the key dev generated on its first
// start and keeps in <data dir>/secret-key (0600), so secrets stay readable across restarts.
func (c *config) devSecretBox() (*secretbox.Box, error) {
	if c.SecretKey != "" {
		return c.secretBox()
	}
	path := filepath.Join(c.DataDir, "secret-key")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b = []byte(secretbox.EncodeKey(secretbox.NewKey()) + "\n")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, fmt.Errorf("save secret key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	key, err := secretbox.ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return secretbox.New(key)
}
