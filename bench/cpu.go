package bench

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
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
// (samples without it are under ""). It reads the profile's protobuf directly: the samples
// (field 2: location ids, values, labels) and the string table (field 6).
func cpuByLabel(profile []byte, key string) (map[string]time.Duration, error) {
	zr, err := gzip.NewReader(bytes.NewReader(profile))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	type label struct{ key, str int64 }
	type sample struct {
		values []int64
		labels []label
	}
	var samples []sample
	var strs []string
	for b := raw; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch num {
		case 2:
			s, err := parseSample(v)
			if err != nil {
				return nil, err
			}
			var sm sample
			sm.values = s.values
			for _, l := range s.labels {
				sm.labels = append(sm.labels, label{l[0], l[1]})
			}
			samples = append(samples, sm)
		case 6:
			strs = append(strs, string(v))
		}
	}
	str := func(i int64) string {
		if i >= 0 && int(i) < len(strs) {
			return strs[i]
		}
		return ""
	}
	out := map[string]time.Duration{}
	for _, s := range samples {
		if len(s.values) < 2 {
			continue
		}
		v := ""
		for _, l := range s.labels {
			if str(l.key) == key {
				v = str(l.str)
			}
		}
		out[v] += time.Duration(s.values[1]) // [samples/count, cpu/nanoseconds]
	}
	return out, nil
}

type rawSample struct {
	values []int64
	labels [][2]int64
}

func parseSample(b []byte) (rawSample, error) {
	var s rawSample
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return s, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 2 && typ == protowire.BytesType: // packed values
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return s, protowire.ParseError(n)
			}
			b = b[n:]
			for len(v) > 0 {
				x, m := protowire.ConsumeVarint(v)
				if m < 0 {
					return s, protowire.ParseError(m)
				}
				s.values = append(s.values, int64(x))
				v = v[m:]
			}
		case num == 2 && typ == protowire.VarintType:
			x, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return s, protowire.ParseError(n)
			}
			b = b[n:]
			s.values = append(s.values, int64(x))
		case num == 3 && typ == protowire.BytesType: // label
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return s, protowire.ParseError(n)
			}
			b = b[n:]
			var l [2]int64
			for len(v) > 0 {
				f, t, m := protowire.ConsumeTag(v)
				if m < 0 {
					return s, protowire.ParseError(m)
				}
				v = v[m:]
				if t != protowire.VarintType {
					m = protowire.ConsumeFieldValue(f, t, v)
					if m < 0 {
						return s, protowire.ParseError(m)
					}
					v = v[m:]
					continue
				}
				x, m := protowire.ConsumeVarint(v)
				if m < 0 {
					return s, protowire.ParseError(m)
				}
				v = v[m:]
				if f == 1 || f == 2 {
					l[f-1] = int64(x)
				}
			}
			s.labels = append(s.labels, l)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return s, fmt.Errorf("profile sample: %w", protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return s, nil
}
