package bench

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/pprof/profile"
)

// processCPU is this process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is the unit of /proc/<pid>/stat times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// procTimes reads utime+stime and cutime+cstime (waited-for children) and the parent pid of a
// process from /proc.
func procTimes(pid int) (self, children time.Duration, ppid int, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, so f[11].
	if len(f) < 15 {
		return 0, 0, 0, false
	}
	num := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	ppid = int(num(f[1]))
	self = time.Duration(num(f[11])+num(f[12])) * clockTick
	children = time.Duration(num(f[13])+num(f[14])) * clockTick
	return self, children, ppid, true
}

// postgresCPU is the CPU time used so far by a PostgreSQL cluster: its postmaster (with the
// backends that already exited) and its live child processes. ok is false when the cluster's
// postmaster cannot be found (external PostgreSQL, or no /proc).
func postgresCPU(pidFile string) (time.Duration, bool) {
	if pidFile == "" {
		return 0, false
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return 0, false
	}
	self, children, _, ok := procTimes(pid)
	if !ok {
		return 0, false
	}
	total := self + children
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		s, _, ppid, ok := procTimes(child)
		if ok && ppid == pid {
			total += s
		}
	}
	return total, true
}

// findPostmasterPID returns the postmaster.pid file of the private cluster under dataDir.
func findPostmasterPID(dataDir string) string {
	for _, pattern := range []string{"postgres/postmaster.pid", "postgres/*/postmaster.pid"} {
		if m, _ := filepath.Glob(filepath.Join(dataDir, pattern)); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// cpuByLabel sums the CPU time of a pprof CPU profile by the value of one goroutine label
// (samples without it are under "").
func cpuByLabel(data []byte, key string) (map[string]time.Duration, error) {
	p, err := profile.ParseData(data)
	if err != nil {
		return nil, err
	}
	cpu := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			cpu = i
		}
	}
	if cpu < 0 {
		return nil, errors.New("not a CPU profile")
	}
	out := map[string]time.Duration{}
	for _, s := range p.Sample {
		v := ""
		if vs := s.Label[key]; len(vs) > 0 {
			v = vs[0]
		}
		out[v] += time.Duration(s.Value[cpu])
	}
	return out, nil
}
