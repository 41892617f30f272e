package topology

import "syscall"

// sysProcAttr puts a child in its own process group (so that a kill reaches whatever it
// starts, and the terminal's Ctrl-C does not) and has the kernel kill it if the harness dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
