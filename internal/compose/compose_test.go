package compose_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// root is the repository's root, relative to this package.
const root = "../.."

// TestDockerComposeIsValidAndMatchesTheRepository loads docker-compose.yml the way `docker
// compose` does and checks it against the rest of the repository: see checkCompose.
func TestDockerComposeIsValidAndMatchesTheRepository(t *testing.T) {
	file, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range checkCompose(t, file) {
		t.Error(err)
	}
}

// TestComposeCheckCatchesMistakes breaks docker-compose.yml in the ways the check exists for
// and expects each to be reported: a key the Compose Specification does not have, an image tag
// that is not go.mod's version, a Herald variable Herald does not read, a published port the
// README does not name, and a schema set-up step left out.
func TestComposeCheckCatchesMistakes(t *testing.T) {
	file, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, old, new, want string
	}{
		{"unknown key", "    restart: on-failure:10\n    environment:\n      <<: *herald-environment\n",
			"    restart: on-failure:10\n    enviroment:\n      <<: *herald-environment\n", "enviroment"},
		{"server tag", "image: temporalio/server:1.32.1", "image: temporalio/server:1.31.0", "temporalio/server:1.31.0"},
		{"admin-tools tag", "image: temporalio/admin-tools:1.32.1", "image: temporalio/admin-tools:1.30.1", "temporalio/admin-tools:1.30.1"},
		{"ui tag", "image: temporalio/ui:2.55.0", "image: temporalio/ui:2.54.0", "temporalio/ui:2.54.0"},
		{"unknown variable", `HERALD_LOG_LEVEL: "${HERALD_LOG_LEVEL:-info}"`, `HERALD_LOGLEVEL: "${HERALD_LOG_LEVEL:-info}"`, "HERALD_LOGLEVEL"},
		{"unnamed port", `"127.0.0.1:8233:8080"`, `"127.0.0.1:8234:8080"`, "8234"},
		{"schema step", "        temporal-sql-tool --database temporal_visibility setup-schema -v 0.0\n", "", "temporal_visibility setup-schema"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Contains(file, []byte(c.old)) {
				t.Fatalf("docker-compose.yml no longer contains %q: update this case", c.old)
			}
			errs := checkCompose(t, bytes.Replace(file, []byte(c.old), []byte(c.new), 1))
			if !slices.ContainsFunc(errs, func(err error) bool { return strings.Contains(err.Error(), c.want) }) {
				t.Errorf("no error names %q; got %v", c.want, errs)
			}
		})
	}
}

// checkCompose loads a docker-compose.yml with compose-go, the loader of `docker compose`
// (interpolation, YAML merge keys, validation against the Compose Specification's JSON Schema
// that compose-go embeds, normalization), and checks what the repository says about it:
//   - the Temporal images (server, admin-tools) are tagged with go.mod's go.temporal.io/server
//     version and the UI image with go.mod's ui-server version (the versions `herald dev` embeds);
//   - Temporal's schemas are set up as the harness (internal/topology) does: for each of the
//     databases temporal and temporal_visibility, temporal-sql-tool create-database,
//     setup-schema -v 0.0 and update-schema to the versioned directory, on the postgres12
//     plugin, before the server starts;
//   - every HERALD_ variable of a Herald service is one cmd/herald reads, and each service has
//     the settings its command requires;
//   - the published ports are the ones README's "Production" section names, and the reverse.
func checkCompose(t *testing.T, file []byte) []error {
	t.Helper()
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: "docker-compose.yml", Content: file}},
		// The variables the file requires (${VAR:?...}).
		Environment: types.Mapping{"HERALD_ADMIN_KEY": "hk_compose_test", "HERALD_SECRET_KEY": "c2VjcmV0"},
	})
	if err != nil {
		return []error{fmt.Errorf("docker-compose.yml does not load: %w", err)}
	}

	temporalVersion := strings.TrimPrefix(goModVersion(t, "go.temporal.io/server"), "v")
	uiVersion := strings.TrimPrefix(goModVersion(t, "github.com/temporalio/ui-server/v2"), "v")
	wantTag := map[string]string{
		"temporalio/server": temporalVersion, "temporalio/admin-tools": temporalVersion, "temporalio/ui": uiVersion,
	}
	for _, name := range slices.Sorted(maps.Keys(project.Services)) {
		s := project.Services[name]
		repo, tag, _ := strings.Cut(s.Image, ":")
		if want, ok := wantTag[repo]; ok && tag != want {
			fail("service %s: image %s, want %s:%s (go.mod)", name, s.Image, repo, want)
		}
		if strings.HasPrefix(repo, "temporalio/auto-setup") {
			fail("service %s: %s is deprecated upstream; use temporalio/server with the admin-tools schema job", name, s.Image)
		}
	}

	server, ok := project.Services["temporal"]
	switch {
	case !ok:
		fail("no service temporal")
	default:
		if db := env(server, "DB"); db != "postgres12" {
			fail("temporal: DB=%q, want postgres12 (the harness's persistence plugin)", db)
		}
		if d := server.DependsOn["temporal-schema"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
			fail("temporal: must depend on temporal-schema completing successfully")
		}
	}
	errs = append(errs, checkSchemaJob(project)...)
	errs = append(errs, checkHeraldServices(t, project)...)
	errs = append(errs, checkPorts(t, project)...)
	return errs
}

// checkSchemaJob checks the temporal-schema job's script: the harness's steps, in order.
func checkSchemaJob(project *types.Project) []error {
	job, ok := project.Services["temporal-schema"]
	if !ok {
		return []error{fmt.Errorf("no service temporal-schema (Temporal's schemas by temporal-sql-tool)")}
	}
	var errs []error
	if len(job.Command) == 0 {
		return []error{fmt.Errorf("temporal-schema: no command")}
	}
	if plugin := env(job, "SQL_PLUGIN"); plugin != "postgres12" {
		errs = append(errs, fmt.Errorf("temporal-schema: SQL_PLUGIN=%q, want postgres12", plugin))
	}
	script := job.Command[len(job.Command)-1] // sh -ec SCRIPT
	var steps []string
	for line := range strings.SplitSeq(script, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "temporal-sql-tool" {
			steps = append(steps, strings.Join(f[1:], " "))
		}
	}
	var want []string
	for _, db := range []struct{ name, dir string }{{"temporal", "temporal"}, {"temporal_visibility", "visibility"}} {
		want = append(want,
			"--database "+db.name+" create-database",
			"--database "+db.name+" setup-schema -v 0.0",
			"--database "+db.name+" update-schema -d /etc/temporal/schema/postgresql/v12/"+db.dir+"/versioned")
	}
	if !slices.Equal(steps, want) {
		errs = append(errs, fmt.Errorf("temporal-schema: temporal-sql-tool steps\n  %s\nwant\n  %s",
			strings.Join(steps, "\n  "), strings.Join(want, "\n  ")))
	}
	return errs
}

// checkHeraldServices checks the services that run the Herald image.
func checkHeraldServices(t *testing.T, project *types.Project) []error {
	known := heraldVariables(t)
	required := map[string][]string{
		"migrate": {"HERALD_DATABASE_URL", "HERALD_TEMPORAL_ADDRESS"},
		"api":     {"HERALD_DATABASE_URL", "HERALD_TEMPORAL_ADDRESS", "HERALD_SECRET_KEY", "HERALD_ADMIN_KEY", "HERALD_API_ADDR"},
		"worker":  {"HERALD_DATABASE_URL", "HERALD_TEMPORAL_ADDRESS", "HERALD_SECRET_KEY"},
	}
	var errs []error
	commands := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(project.Services)) {
		s := project.Services[name]
		if !strings.HasPrefix(s.Image, "herald:") {
			continue
		}
		if len(s.Command) != 1 {
			errs = append(errs, fmt.Errorf("%s: command %q, want one herald command", name, s.Command))
			continue
		}
		cmd := s.Command[0]
		commands[cmd] = true
		for _, v := range slices.Sorted(maps.Keys(s.Environment)) {
			if strings.HasPrefix(v, "HERALD_") && !known[v] {
				errs = append(errs, fmt.Errorf("%s: %s is not a variable cmd/herald reads", name, v))
			}
		}
		for _, v := range required[cmd] {
			if env(s, v) == "" {
				errs = append(errs, fmt.Errorf("%s: herald %s needs %s", name, cmd, v))
			}
		}
		if addr := env(s, "HERALD_TEMPORAL_ADDRESS"); addr != "" && addr != "temporal:7233" {
			errs = append(errs, fmt.Errorf("%s: HERALD_TEMPORAL_ADDRESS=%s, want the temporal service's frontend temporal:7233", name, addr))
		}
		if url := env(s, "HERALD_DATABASE_URL"); url != "" && !strings.Contains(url, "@herald-db:5432/") {
			errs = append(errs, fmt.Errorf("%s: HERALD_DATABASE_URL must name the herald-db service", name))
		}
		if cmd == "api" {
			_, port, _ := strings.Cut(env(s, "HERALD_API_ADDR"), ":")
			if !slices.ContainsFunc(s.Ports, func(p types.ServicePortConfig) bool { return strconv.Itoa(int(p.Target)) == port }) {
				errs = append(errs, fmt.Errorf("%s: HERALD_API_ADDR port %s is not the published port's target", name, port))
			}
		}
	}
	for _, cmd := range []string{"migrate", "api", "worker"} {
		if !commands[cmd] {
			errs = append(errs, fmt.Errorf("no service runs herald %s", cmd))
		}
	}
	if w, ok := project.Services["herald-worker"]; ok && (w.Deploy == nil || w.Deploy.Replicas == nil || *w.Deploy.Replicas != 2) {
		errs = append(errs, fmt.Errorf("herald-worker: want 2 replicas, the production shape the harness runs"))
	}
	return errs
}

// checkPorts checks the published ports against the localhost:PORT that README's
// "Production" section names.
func checkPorts(t *testing.T, project *types.Project) []error {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := markdownSection(string(readme), "## Production")
	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`localhost:(\d+)`).FindAllStringSubmatch(section, -1) {
		named[m[1]] = true
	}
	var errs []error
	published := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(project.Services)) {
		for _, p := range project.Services[name].Ports {
			published[p.Published] = true
			if !named[p.Published] {
				errs = append(errs, fmt.Errorf("%s publishes port %s, which README's Production section does not name", name, p.Published))
			}
		}
	}
	for _, port := range slices.Sorted(maps.Keys(named)) {
		if !published[port] {
			errs = append(errs, fmt.Errorf("README's Production section names localhost:%s, which no service publishes", port))
		}
	}
	return errs
}

// markdownSection is the text from a heading line to the next heading of the same level.
func markdownSection(doc, heading string) string {
	_, rest, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		return ""
	}
	level := heading[:strings.IndexByte(heading, ' ')+1]
	if i := strings.Index(rest, "\n"+level); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// heraldVariables are the HERALD_ names in cmd/herald's source (flags' environment defaults,
// HERALD_LOG_LEVEL, ...).
func heraldVariables(t *testing.T) map[string]bool {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(root, "cmd", "herald", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`^"HERALD_[A-Z0-9_]+"$`)
	vars := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && name.MatchString(lit.Value) {
				vars[strings.Trim(lit.Value, `"`)] = true
			}
			return true
		})
	}
	if !vars["HERALD_DATABASE_URL"] {
		t.Fatalf("found no HERALD_DATABASE_URL in cmd/herald (%d files): has the command moved?", len(files))
	}
	return vars
}

// goModVersion is the version go.mod requires of a module.
func goModVersion(t *testing.T, module string) string {
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require "))
		if len(fields) >= 2 && fields[0] == module {
			return fields[1]
		}
	}
	t.Fatalf("go.mod requires no %s", module)
	return ""
}

// env is a service's environment variable ("" when unset).
func env(s types.ServiceConfig, name string) string {
	if v := s.Environment[name]; v != nil {
		return *v
	}
	return ""
}
