package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// devStackFile is what a running `herald dev` writes into its data dir, so that the commands
// run beside it (publish, keys) find its services whatever ports it chose.
const devStackFile = "dev.json"

// devStack is the content of devStackFile.
type devStack struct {
	DataDir         string `json:"data_dir"`
	DatabaseURL     string `json:"database_url"`
	TemporalAddress string `json:"temporal_address"`
	Namespace       string `json:"namespace"`
	APIURL          string `json:"api_url"`
	UIURL           string `json:"ui_url,omitempty"`
}

// devPointerPath is the file, in the user's config dir, that names the data dir of the last
// `herald dev` this user started: a second terminal that did not export HERALD_DATA_DIR finds
// a dev stack started with another data dir through it.
func devPointerPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "herald", "dev-data-dir"), nil
}

// announceDev writes devStackFile (0600: the database URL holds the cluster's password) and the
// user's pointer to the data dir.
func announceDev(s devStack) error {
	abs, err := filepath.Abs(s.DataDir)
	if err != nil {
		return err
	}
	s.DataDir = abs
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(abs, devStackFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", devStackFile, err)
	}
	p, err := devPointerPath()
	if err != nil {
		return nil // no config dir (no HOME): the default data dir still works
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := writeFileAtomic(p, []byte(abs+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

func writeFileAtomic(path string, b []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, perm); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readDevStack reads what the dev stack of dataDir announced. A data dir of a dev from before
// devStackFile has only database-url, and its Temporal on the default port.
func readDevStack(dataDir string) (devStack, error) {
	s := devStack{DataDir: dataDir}
	b, err := os.ReadFile(filepath.Join(dataDir, devStackFile))
	if err == nil {
		if err := json.Unmarshal(b, &s); err != nil {
			return s, fmt.Errorf("%s: %w", filepath.Join(dataDir, devStackFile), err)
		}
		return s, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	b, err = os.ReadFile(filepath.Join(dataDir, "database-url"))
	if err != nil {
		return s, err
	}
	s.DatabaseURL = strings.TrimSpace(string(b))
	s.TemporalAddress = "127.0.0.1:7233"
	return s, nil
}

// explicit reports whether a setting was given, as a flag or in the environment.
func explicit(fs *flag.FlagSet, name, envName string) bool {
	if os.Getenv(envName) != "" {
		return true
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// devAnswerTimeout bounds how long finding a dev stack waits for one of its services.
const devAnswerTimeout = 2 * time.Second

// useDev points a command run beside `herald dev` at the services dev announced, for those of
// them (the database; Temporal too when withTemporal) that its flags and environment do not
// set: first the dev stack of the data dir (-data-dir, HERALD_DATA_DIR, or ./.herald), then,
// when no data dir was given, the one this user started last. A stack counts only if its
// services answer now; when none does, the error says where it looked, at once (instead of a
// connection that retries for 30 s).
func (c *config) useDev(fs *flag.FlagSet, withTemporal bool) error {
	needDB, needTemporal := c.DatabaseURL == "", withTemporal && c.TemporalAddress == ""
	if !needDB && !needTemporal {
		return nil
	}
	dirs := []string{c.DataDir}
	if !explicit(fs, "data-dir", "HERALD_DATA_DIR") {
		if p, err := devPointerPath(); err == nil {
			if b, err := os.ReadFile(p); err == nil {
				if d := strings.TrimSpace(string(b)); d != "" && !sameFile(d, c.DataDir) {
					dirs = append(dirs, d)
				}
			}
		}
	}
	var tried []string
	for _, dir := range dirs {
		s, err := readDevStack(dir)
		if errors.Is(err, os.ErrNotExist) {
			tried = append(tried, dir+": no dev stack was started there")
			continue
		}
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		var down []string
		if needDB {
			if u, err := url.Parse(s.DatabaseURL); err != nil || !answers(u.Host) {
				down = append(down, "its PostgreSQL")
			}
		}
		if needTemporal && !answers(s.TemporalAddress) {
			down = append(down, "its Temporal at "+s.TemporalAddress)
		}
		if len(down) > 0 {
			tried = append(tried, dir+": "+strings.Join(down, " and ")+" does not answer (is `herald dev` running?)")
			continue
		}
		if needDB {
			c.DatabaseURL = s.DatabaseURL
		}
		if needTemporal {
			c.TemporalAddress = s.TemporalAddress
			if s.Namespace != "" && !explicit(fs, "namespace", "HERALD_TEMPORAL_NAMESPACE") {
				c.Namespace = s.Namespace
			}
		}
		return nil
	}
	want := "HERALD_DATABASE_URL"
	if needTemporal {
		want += " and HERALD_TEMPORAL_ADDRESS"
	}
	return fmt.Errorf("no running `herald dev` found (%s): start `herald dev`, pass its -data-dir, or set %s",
		strings.Join(tried, "; "), want)
}

// answers reports whether something accepts TCP connections at host:port.
func answers(addr string) bool {
	if addr == "" {
		return false
	}
	conn, err := net.DialTimeout("tcp", addr, devAnswerTimeout)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
