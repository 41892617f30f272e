package topology_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/internal/devstack/devstacktest"
	"github.com/herald-webhooks/herald/internal/topology"
	"github.com/herald-webhooks/herald/internal/topology/topologytest"
)

// TestATopologyComesUpAndItsPartsRestartAfterAKill brings the production shape up, kills -9
// the Temporal server and a worker, starts them again, and finds the API ready.
func TestATopologyComesUpAndItsPartsRestartAfterAKill(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bins := topologytest.Binaries(t)
	dir := devstacktest.Dir(t)
	herald, err := topology.BuildHerald(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := topology.Start(ctx, topology.Options{Dir: dir, Herald: herald, Binaries: bins, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	for _, c := range top.Commands {
		t.Log(c)
	}
	for _, c := range []topology.Component{top.Temporal, top.Workers[0], top.TemporalDB, top.HeraldDB} {
		if err := c.Kill(); err != nil {
			t.Fatalf("kill %s: %v", c.Name(), err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatalf("start %s again: %v", c.Name(), err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(top.APIURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /readyz after the restarts: %v %v", resp, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, p := range top.Processes() {
		if n := p.Crashes(); n != 0 {
			t.Errorf("%s exited %d time(s) on its own; log %s", p.Name(), n, p.LogPath())
		}
	}
}
