package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// clientDir holds the TypeScript program of TestGeneratedClientRunsTheWalkthrough and its
// pinned npm packages (package-lock.json); `npm ci` there installs them, as .ci/run does.
const clientDir = "testdata/tsclient"

// requireClientTest says whether the generated-client test must run rather than skip: on CI
// (CI set, or HERALD_CLIENT_TEST=require, which .ci/run sets after installing the packages).
func requireClientTest() bool {
	return os.Getenv("CI") != "" || os.Getenv("HERALD_CLIENT_TEST") == "require"
}

// TestGeneratedClientRunsTheWalkthrough generates a TypeScript client from the served
// document with openapi-typescript, compiles the README walkthrough written against it
// (openapi-fetch) with tsc --strict, and runs it with node against this Herald: directory
// sync, an organization webhook, a publish, the event, the delivery and its attempts, a test
// send, stats and a PATCH. A document that does not describe what the server takes or answers
// fails here as a type error or as a refused request.
func TestGeneratedClientRunsTheWalkthrough(t *testing.T) {
	node, err := exec.LookPath("node")
	modules, _ := filepath.Abs(filepath.Join(clientDir, "node_modules"))
	if _, statErr := os.Stat(filepath.Join(modules, "openapi-typescript")); err != nil || statErr != nil {
		msg := "needs node and the npm packages of " + clientDir + " (run `npm ci --prefix api/" + clientDir + "`)"
		if requireClientTest() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	e := newEnv(t)
	r := newReceiver(t)

	work := t.TempDir()
	for _, f := range []string{"walkthrough.ts", "tsconfig.json", "package.json"} {
		b, err := os.ReadFile(filepath.Join(clientDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(modules, filepath.Join(work, "node_modules")); err != nil {
		t.Fatal(err)
	}
	run := func(step string, env []string, args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, args...)
		cmd.Dir, cmd.Env = work, append(os.Environ(), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s%s", step, err, stdout.String(), stderr.String())
		}
		return stdout.Bytes()
	}
	run("generate the client types from the served document", nil,
		filepath.Join(modules, "openapi-typescript", "bin", "cli.js"), e.api.URL+"/api/v1/openapi.json", "-o", "schema.d.ts")
	run("type-check and compile the walkthrough (tsc --strict)", nil,
		filepath.Join(modules, "typescript", "bin", "tsc"), "-p", ".")
	out := run("run the walkthrough", []string{"HERALD_URL=" + e.api.URL, "HERALD_KEY=" + adminKey,
		"RECEIVER_URL=" + r.URL, "EVENT_ID=" + e.ev("evt_walkthrough_1")},
		filepath.Join("out", "walkthrough.js"))

	var got struct {
		Member         string   `json:"member"`
		Webhook        string   `json:"webhook"`
		Secret         string   `json:"secret"`
		Duplicate      bool     `json:"duplicate"`
		DeliveryStatus string   `json:"delivery_status"`
		Attempts       []string `json:"attempts"`
		Test           struct {
			Succeeded  bool   `json:"succeeded"`
			StatusCode int    `json:"status_code"`
			Event      string `json:"event"`
		} `json:"test"`
		Stats struct {
			Succeeded   int     `json:"succeeded"`
			SuccessRate float64 `json:"success_rate"`
			Status      string  `json:"status"`
		} `json:"stats"`
		PatchedRetry int `json:"patched_retry"`
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("the walkthrough's output is not its summary: %v\n%s", err, out)
	}
	if got.Member != "u_ada@org_acme:admin" || got.Duplicate || got.DeliveryStatus != "succeeded" ||
		strings.Join(got.Attempts, ",") != "1:auto:200" || !got.Test.Succeeded || got.Test.StatusCode != 200 ||
		got.Test.Event != "webhook.test" || got.Stats.Succeeded != 1 || got.Stats.SuccessRate != 1 ||
		got.Stats.Status != "active" || got.PatchedRetry != 5 {
		t.Errorf("the walkthrough saw %+v", got)
	}

	// The receiver got the event and the test send, both signed with the secret the create
	// answer showed.
	reqs := r.requests("/hooks")
	if len(reqs) != 2 {
		t.Fatalf("the receiver got %d requests, want the delivery and the test send", len(reqs))
	}
	wh, err := standardwebhooks.NewWebhook(got.Secret)
	if err != nil {
		t.Fatal(err)
	}
	for i, req := range reqs {
		if err := wh.Verify(req.Body, req.Header); err != nil {
			t.Errorf("request %d does not verify with the webhook's secret: %v", i+1, err)
		}
	}
	var first struct {
		ID   string `json:"id"`
		Data struct {
			Recording struct {
				Title string `json:"title"`
			} `json:"recording"`
		} `json:"data"`
	}
	if err := json.Unmarshal(reqs[0].Body, &first); err != nil || first.ID != e.ev("evt_walkthrough_1") ||
		first.Data.Recording.Title != "Standup" {
		t.Errorf("the delivered body is %s", reqs[0].Body)
	}
}
