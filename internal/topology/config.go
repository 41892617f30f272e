package topology

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// temporalConfig is the Temporal server's static config: PostgreSQL persistence (the
// postgres12 plugin) for the workflow state and for visibility, one cluster, every service in
// one process on loopback ports, Prometheus metrics, no archival. JSON strings are YAML
// strings, so values are quoted with %q-like JSON encoding.
const temporalConfig = `log:
  stdout: true
  level: warn

persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: {{shards}}
  datastores:
    default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: {{db}}
        connectProtocol: tcp
        user: {{user}}
        password: {{password}}
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: {{db}}
        connectProtocol: tcp
        user: {{user}}
        password: {{password}}
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: {{metrics}}

services:
  frontend:
    rpc: {grpcPort: {{frontend}}, membershipPort: {{frontendMembership}}, bindOnIP: 127.0.0.1}
  history:
    rpc: {grpcPort: {{history}}, membershipPort: {{historyMembership}}, bindOnIP: 127.0.0.1}
  matching:
    rpc: {grpcPort: {{matching}}, membershipPort: {{matchingMembership}}, bindOnIP: 127.0.0.1}
  worker:
    rpc: {grpcPort: {{worker}}, membershipPort: {{workerMembership}}, bindOnIP: 127.0.0.1}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: {{frontendAddress}}

dcRedirectionPolicy:
  policy: noop

archival:
  history:
    state: disabled
  visibility:
    state: disabled

namespaceDefaults:
  archival:
    history:
      state: disabled
    visibility:
      state: disabled

dynamicConfigClient:
  filepath: {{dynamicConfig}}
  pollInterval: 10s
`

// writeTemporalConfig writes the server's config and dynamic config files into <dir>/temporal
// and returns the config's path.
func (t *Topology) writeTemporalConfig(p ports) (string, error) {
	dir := filepath.Join(t.Dir, "temporal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("temporal config: %w", err)
	}
	dynPath := filepath.Join(dir, "dynamicconfig.yaml")
	var dyn strings.Builder
	dyn.WriteString("# Temporal dynamic config of the Herald topology (key: list of constrained values).\n")
	for _, k := range slices.Sorted(maps.Keys(t.opts.DynamicConfig)) {
		v, err := json.Marshal(t.opts.DynamicConfig[k])
		if err != nil {
			return "", fmt.Errorf("dynamic config %s: %w", k, err)
		}
		fmt.Fprintf(&dyn, "%s:\n  - value: %s\n", k, v)
	}
	if err := os.WriteFile(dynPath, []byte(dyn.String()), 0o644); err != nil {
		return "", fmt.Errorf("temporal dynamic config: %w", err)
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	loop := func(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
	vars := map[string]string{
		"shards": fmt.Sprint(t.opts.HistoryShards), "db": loop(t.TemporalDB.Port()),
		"user": q(t.TemporalDB.user), "password": q(t.TemporalDB.password), "metrics": loop(p.metrics),
		"frontend": fmt.Sprint(p.frontend), "frontendMembership": fmt.Sprint(p.frontendMembership),
		"history": fmt.Sprint(p.history), "historyMembership": fmt.Sprint(p.historyMembership),
		"matching": fmt.Sprint(p.matching), "matchingMembership": fmt.Sprint(p.matchingMembership),
		"worker": fmt.Sprint(p.worker), "workerMembership": fmt.Sprint(p.workerMembership),
		"frontendAddress": loop(p.frontend), "dynamicConfig": q(dynPath),
	}
	cfg := temporalConfig
	for k, v := range vars {
		cfg = strings.ReplaceAll(cfg, "{{"+k+"}}", v)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil { // it holds the password
		return "", fmt.Errorf("temporal config: %w", err)
	}
	return path, nil
}

// urlUserinfo is the user and password of a connection URL.
func urlUserinfo(raw string) ([2]string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return [2]string{}, fmt.Errorf("database url: no user in it")
	}
	pw, _ := u.User.Password()
	return [2]string{u.User.Username(), pw}, nil
}
