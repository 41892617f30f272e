package topology

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Component is one part of the topology that the fault harness can crash and bring back: an
// OS process, or a PostgreSQL cluster (a process group).
type Component interface {
	Name() string
	// Kill ends it as a crash does (SIGKILL, nothing flushed, no goodbye to its peers).
	Kill() error
	// Start starts it again (with the same command line, ports and data) and returns once it
	// is ready.
	Start(ctx context.Context) error
	// Stop shuts it down cleanly, for teardown.
	Stop() error
}

// Process is one OS process of the topology: a command line it can be started with again after
// a kill, and a check that says when a start is ready. Its output is appended to a log file.
type Process struct {
	name    string
	path    string
	args    []string
	env     []string
	logPath string
	ready   func(context.Context) error

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has exited
	waitErr error
	killed  bool // the last exit was asked for (Kill or Stop)
	crashes int  // exits nobody asked for
}

func newProcess(name, path string, args, env []string, logPath string, ready func(context.Context) error) *Process {
	return &Process{name: name, path: path, args: args, env: env, logPath: logPath, ready: ready}
}

// Name is the component's name, e.g. "worker-1".
func (p *Process) Name() string { return p.name }

// LogPath is the file that receives the process's stdout and stderr.
func (p *Process) LogPath() string { return p.logPath }

// Command is the process's command line, for documentation and error messages.
func (p *Process) Command() []string { return append([]string{p.path}, p.args...) }

// PID is the running process's id, 0 when it is not running.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return 0
	}
	return p.cmd.Process.Pid
}

// Crashes is how many times the process exited without being killed or stopped.
func (p *Process) Crashes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.crashes
}

// Running reports whether the process is alive.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runningLocked()
}

func (p *Process) runningLocked() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Start starts the process (again) and waits until its ready check passes; a process that
// exits first fails the start with the end of its log.
func (p *Process) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.runningLocked() {
		p.mu.Unlock()
		return fmt.Errorf("start %s: already running (pid %d)", p.name, p.cmd.Process.Pid)
	}
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.mu.Unlock()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	fmt.Fprintf(logFile, "\n=== %s: start %v\n", time.Now().UTC().Format(time.RFC3339Nano), p.Command())
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	_ = logFile.Close() // the child has its own descriptor
	if err != nil {
		p.mu.Unlock()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.killed = cmd, exited, false
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		if !p.killed {
			p.crashes++
		}
		p.mu.Unlock()
		close(exited)
	}()
	p.mu.Unlock()

	if p.ready == nil {
		return nil
	}
	readyErr := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { readyErr <- p.ready(rctx) }()
	select {
	case err := <-readyErr:
		if err != nil {
			return fmt.Errorf("start %s: %w (log: %s)", p.name, err, p.logPath)
		}
		return nil
	case <-exited:
		return fmt.Errorf("start %s: exited during start-up (%v); last lines of %s:\n%s", p.name, p.exitErr(), p.logPath, tail(p.logPath, 20))
	}
}

func (p *Process) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitErr
}

// Kill sends SIGKILL to the process (and anything it started in its process group) and waits
// for it to exit.
func (p *Process) Kill() error { return p.end(syscall.SIGKILL, 0) }

// Stop asks the process to shut down (SIGTERM), and kills it after 15 s.
func (p *Process) Stop() error { return p.end(syscall.SIGTERM, 15*time.Second) }

func (p *Process) end(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	if !p.runningLocked() {
		p.mu.Unlock()
		return nil
	}
	p.killed = true
	pid, exited := p.cmd.Process.Pid, p.exited
	p.mu.Unlock()
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s %s: %w", sig, p.name, err)
	}
	if grace > 0 {
		select {
		case <-exited:
			return nil
		case <-time.After(grace):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
	select {
	case <-exited:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s %s: pid %d did not exit", sig, p.name, pid)
	}
}

// tail is the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	const maxTail = 8 << 10
	if len(b) > maxTail {
		b = b[len(b)-maxTail:]
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
