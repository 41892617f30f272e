//go:build race

package catalog

// raceSlowdown is how many times slower the race detector makes a compile: timing assertions
// allow for it, so that `go test -race` checks the same behaviour without failing on the clock.
const raceSlowdown = 10
