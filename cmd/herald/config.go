package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// config is every setting of every command, from flags with environment defaults.
type config struct {
	DataDir         string
	APIAddr         string
	TemporalPort    int
	UIPort          int
	DatabaseURL     string
	TemporalAddress string
	Namespace       string
	AdminKey        string
	UserAgent       string
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

// flags registers the settings a command uses on fs; which ones depends on the command.
func (c *config) flags(fs *flag.FlagSet, dev bool) {
	fs.StringVar(&c.DatabaseURL, "database-url", env("HERALD_DATABASE_URL", ""), "PostgreSQL URL (env HERALD_DATABASE_URL)")
	fs.StringVar(&c.TemporalAddress, "temporal-address", env("HERALD_TEMPORAL_ADDRESS", ""), "Temporal frontend host:port (env HERALD_TEMPORAL_ADDRESS)")
	fs.StringVar(&c.Namespace, "namespace", env("HERALD_TEMPORAL_NAMESPACE", "default"), "Temporal namespace (env HERALD_TEMPORAL_NAMESPACE)")
	fs.StringVar(&c.DataDir, "data-dir", env("HERALD_DATA_DIR", ".herald"), "data directory of the dev stack (env HERALD_DATA_DIR)")
	fs.StringVar(&c.APIAddr, "api-addr", env("HERALD_API_ADDR", "127.0.0.1:8080"), "API listen address (env HERALD_API_ADDR)")
	fs.StringVar(&c.AdminKey, "admin-key", env("HERALD_ADMIN_KEY", ""), "admin API key to accept (env HERALD_ADMIN_KEY)")
	fs.StringVar(&c.UserAgent, "user-agent", env("HERALD_USER_AGENT", ""), "User-Agent of deliveries (env HERALD_USER_AGENT; default Herald-Webhook/<version>)")
	if dev {
		fs.IntVar(&c.TemporalPort, "temporal-port", envInt("HERALD_TEMPORAL_PORT", 7233), "embedded Temporal frontend port (env HERALD_TEMPORAL_PORT)")
		fs.IntVar(&c.UIPort, "ui-port", envInt("HERALD_UI_PORT", 8233), "embedded Temporal Web UI port (env HERALD_UI_PORT)")
	}
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

// devDefaults points a command at a running `herald dev` when no services are configured.
func (c *config) devDefaults() {
	if c.DatabaseURL == "" {
		if b, err := os.ReadFile(filepath.Join(c.DataDir, "database-url")); err == nil {
			c.DatabaseURL = strings.TrimSpace(string(b))
		}
	}
	if c.TemporalAddress == "" {
		c.TemporalAddress = "127.0.0.1:" + strconv.Itoa(envInt("HERALD_TEMPORAL_PORT", 7233))
	}
}
