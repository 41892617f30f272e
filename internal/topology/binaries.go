package topology

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// temporalModule is the module of the Temporal server and its schema tool.
const temporalModule = "go.temporal.io/server"

// fallbackTemporalVersion is the server version when the build info does not say (it is the
// one go.mod requires; the build info, when present, is the truth).
const fallbackTemporalVersion = "v1.32.1"

// TemporalVersion is the version of go.temporal.io/server this binary was built with: the
// external server the topology runs is the same version as the embedded dev stack's.
func TemporalVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == temporalModule {
				if m.Replace != nil && m.Replace.Version != "" {
					return m.Replace.Version
				}
				return m.Version
			}
		}
	}
	return fallbackTemporalVersion
}

// Binaries are the programs of the topology beside herald itself.
type Binaries struct {
	// TemporalServer is go.temporal.io/server/cmd/server; TemporalSQLTool is
	// go.temporal.io/server/cmd/tools/sql (Temporal's temporal-sql-tool).
	TemporalServer, TemporalSQLTool string
	// SchemaDir is the server module's schema directory (schema/postgresql/v12/... below it).
	SchemaDir string
}

// CacheDir is where InstallTemporal puts the binaries of a version:
// <user cache dir>/herald/temporal-<version>.
func CacheDir(version string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("temporal binaries: %w", err)
	}
	return filepath.Join(dir, "herald", "temporal-"+version), nil
}

// FindTemporal returns the binaries of a Temporal version in its cache dir (see CacheDir)
// without building anything; the error says how to get them.
func FindTemporal(ctx context.Context, version string) (Binaries, error) {
	dir, err := CacheDir(version)
	if err != nil {
		return Binaries{}, err
	}
	b := Binaries{TemporalServer: filepath.Join(dir, "server"), TemporalSQLTool: filepath.Join(dir, "sql")}
	for _, p := range []string{b.TemporalServer, b.TemporalSQLTool} {
		if !isExecutable(p) {
			return Binaries{}, fmt.Errorf("temporal binaries: %s not found; build them with `GOBIN=%s go install %s/cmd/server@%s %s/cmd/tools/sql@%s` (herald chaos does it when they are missing)",
				p, dir, temporalModule, version, temporalModule, version)
		}
	}
	if b.SchemaDir, err = SchemaDir(ctx, version); err != nil {
		return Binaries{}, err
	}
	return b, nil
}

// InstallTemporal builds the Temporal server and schema tool of a version from the module
// proxy into its cache dir (go install; a few minutes the first time), unless they are there.
func InstallTemporal(ctx context.Context, version string) (Binaries, error) {
	if b, err := FindTemporal(ctx, version); err == nil {
		return b, nil
	}
	dir, err := CacheDir(version)
	if err != nil {
		return Binaries{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Binaries{}, fmt.Errorf("temporal binaries: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "install",
		temporalModule+"/cmd/server@"+version, temporalModule+"/cmd/tools/sql@"+version)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return Binaries{}, fmt.Errorf("go install the temporal server %s: %w\n%s", version, err, out)
	}
	return FindTemporal(ctx, version)
}

// SchemaDir finds the server module's schema directory in the module cache, downloading the
// module when it is not there (go install leaves it there).
func SchemaDir(ctx context.Context, version string) (string, error) {
	if out, err := exec.CommandContext(ctx, "go", "env", "GOMODCACHE").Output(); err == nil {
		dir := filepath.Join(strings.TrimSpace(string(out)), temporalModule+"@"+version, "schema")
		if isDir(filepath.Join(dir, "postgresql", "v12")) {
			return dir, nil
		}
	}
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", temporalModule+"@"+version)
	cmd.Dir = os.TempDir() // outside any module: the version asked for, not go.mod's
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("temporal schema: go mod download %s@%s: %w", temporalModule, version, err)
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("temporal schema: go mod download %s@%s: %s", temporalModule, version, m.Error)
	}
	dir := filepath.Join(m.Dir, "schema")
	if !isDir(filepath.Join(dir, "postgresql", "v12")) {
		return "", errors.New("temporal schema: no postgresql/v12 under " + dir)
	}
	return dir, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// BuildHerald builds cmd/herald of the module in the current directory into dir and returns
// the binary's path (for tests; `herald chaos` runs itself).
func BuildHerald(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "herald")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/herald-webhooks/herald/cmd/herald")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build herald: %w\n%s", err, b)
	}
	return out, nil
}
