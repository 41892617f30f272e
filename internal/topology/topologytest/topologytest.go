// Package topologytest has the helpers tests use to run the production topology.
package topologytest

import (
	"context"
	"os"
	"testing"

	"github.com/herald-webhooks/herald/internal/topology"
)

// RequireEnv is the variable that turns a missing Temporal server from a skip into a failure:
// .ci/run installs the binaries and sets HERALD_CHAOS_TEST=require.
const RequireEnv = "HERALD_CHAOS_TEST"

// Binaries returns the Temporal server and schema tool of the version go.mod names, from their
// cache dir. When they are not there the test is skipped, saying how to build them, or fails
// when HERALD_CHAOS_TEST=require. The test is also skipped under -short.
func Binaries(tb testing.TB) topology.Binaries {
	tb.Helper()
	require := os.Getenv(RequireEnv) == "require"
	if testing.Short() && !require {
		tb.Skip("the production topology takes minutes: skipped under -short")
	}
	b, err := topology.FindTemporal(context.Background(), topology.TemporalVersion())
	if err != nil {
		if require {
			tb.Fatalf("%s=require: %v", RequireEnv, err)
		}
		tb.Skipf("%v (.ci/run does it and sets %s=require)", err, RequireEnv)
	}
	return b
}
