//go:build unix && !aix && !solaris

package devstack

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// Port is the TCP port on 127.0.0.1 the server listens on.
func (p *Postgres) Port() int { return p.port }

// Kill ends a server this process started the way a crash does: SIGKILL to the postmaster and
// every backend (its process group), with no shutdown checkpoint. It returns once the postmaster
// has exited and the backends are gone (or after a few seconds). StartPostgres on the same data
// dir and port then runs crash recovery from the WAL; the fault harness uses it to prove that
// nothing committed is lost. A reused server (not started here) is not killed.
func (p *Postgres) Kill() error {
	if p == nil || p.cmd == nil {
		return errors.New("kill postgres: not started by this process")
	}
	pgid := p.cmd.Process.Pid // started with Setpgid: the postmaster leads the group
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill postgres: %w", err)
	}
	select {
	case <-p.exited:
	case <-time.After(quitStopTimeout):
		return fmt.Errorf("kill postgres: pid %d did not exit", pgid)
	}
	// Backends notice the postmaster's death on their own too; wait until the group is empty so
	// that a restart finds no process attached to the old shared memory.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.logger.Info("postgres killed", "port", p.port, "pid", pgid)
	return nil
}
