package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets a test run this binary as herald itself: with HERALD_TEST_AS_MAIN=1 it is
// `herald <its arguments>`, so what a user sees on the terminal can be asserted.
func TestMain(m *testing.M) {
	if os.Getenv("HERALD_TEST_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHerald runs `herald args...` with env added to the environment and returns stdout and
// stderr together.
func runHerald(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "HERALD_TEST_AS_MAIN=1"), env...)
	cmd.Dir = t.TempDir()
	out, _ := cmd.CombinedOutput()
	return string(out)
}

func TestNoCommandPrintsAKeyOrPasswordInHelpUsageOrErrors(t *testing.T) {
	secrets := map[string]string{
		"HERALD_ADMIN_KEY":      "hk_adminkeyfromtheenvironment",
		"HERALD_SECRET_KEY":     "c2VjcmV0a2V5ZnJvbXRoZWVudmlyb25tZW50eHh4eHg=",
		"HERALD_DATABASE_URL":   "postgres://herald:dbpasswordfromtheenv@127.0.0.1:badport/herald",
		"HERALD_RECEIVE_SECRET": "whsec_receivesecretfromtheenvironment",
	}
	var env []string
	for k, v := range secrets {
		env = append(env, k+"="+v)
	}
	env = append(env, "HERALD_TEMPORAL_ADDRESS=127.0.0.1:1")
	commands := [][]string{{"dev"}, {"api"}, {"worker"}, {"migrate"}, {"publish"}, {"keys", "create"},
		{"keys", "list"}, {"keys", "revoke"}, {"receive"}, {"bench"}, {"chaos"}}
	for _, cmd := range commands {
		for _, tail := range [][]string{{"-h"}, {"-bogus"}, {"-api-addr"}} {
			args := append(append([]string{}, cmd...), tail...)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				out := runHerald(t, env, args...)
				for name, v := range secrets {
					if strings.Contains(out, v) || strings.Contains(out, "dbpasswordfromtheenv") {
						t.Fatalf("the output shows %s:\n%s", name, out)
					}
				}
			})
		}
	}
	// Commands that get past their flags fail on the database URL; the error names it, masked.
	for _, cmd := range [][]string{{"migrate"}, {"keys", "list"}, {"publish", "-event", "x", "-data", os.DevNull}} {
		t.Run(strings.Join(cmd, " ")+" with an unusable database URL", func(t *testing.T) {
			out := runHerald(t, env, cmd...)
			if strings.Contains(out, "dbpasswordfromtheenv") || !strings.Contains(out, "herald:xxxxx@127.0.0.1:badport") {
				t.Fatalf("output:\n%s", out)
			}
		})
	}
	t.Run("help still says where a setting comes from, and shows the URL masked", func(t *testing.T) {
		out := runHerald(t, env, "api", "-h")
		if !strings.Contains(out, "env HERALD_ADMIN_KEY") || !strings.Contains(out, "(default postgres://herald:xxxxx@127.0.0.1:badport/herald)") || !strings.Contains(out, "-database-url URL") {
			t.Fatalf("help:\n%s", out)
		}
	})
}
