package devstack

// Running PostgreSQL as the "postgres" user when Herald runs as root: the user, the
// permissions on the way to the data directory, and files written as that user.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// osUser is the unprivileged account that runs initdb and postgres when this
// process is root.
type osUser struct {
	name   string
	uid    uint32
	gid    uint32
	groups []uint32 // supplementary groups
}

// lookupPostgresUser finds the account to run PostgreSQL as when root.
func lookupPostgresUser() (*osUser, error) {
	const name = "postgres"
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf(`start postgres: PostgreSQL refuses to run as root, and there is no %q system user to run it as (%v): create one (e.g. "useradd --system --home-dir /var/lib/postgresql postgres"), run herald as a non-root user, or set HERALD_DATABASE_URL to use an external server`, name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("start postgres: user %q has a non-numeric uid %q or gid %q", name, u.Uid, u.Gid)
	}
	if uid == 0 {
		return nil, fmt.Errorf("start postgres: user %q has uid 0, and PostgreSQL refuses to run as root", name)
	}
	ou := &osUser{name: name, uid: uint32(uid), gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil && uint32(g) != ou.gid {
				ou.groups = append(ou.groups, uint32(g))
			}
		}
	}
	return ou, nil
}

func (c *pgCluster) sysProcAttr(newProcessGroup bool) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: newProcessGroup}
	if c.runAs != nil {
		attr.Credential = &syscall.Credential{Uid: c.runAs.uid, Gid: c.runAs.gid, Groups: c.runAs.groups}
	}
	return attr
}

// checkTraversable verifies that every ancestor of dataDir can be searched by
// u, which must reach the data directory.
func checkTraversable(dataDir string, u *osUser) error {
	parent, err := filepath.EvalSymlinks(filepath.Dir(dataDir))
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	for dir := parent; ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("start postgres: %w", err)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && !canSearch(fi.Mode().Perm(), uint32(st.Uid), uint32(st.Gid), u) {
			return fmt.Errorf("start postgres: PostgreSQL refuses to run as root, so it runs as user %q (uid %d), which cannot enter %s (mode %v, owner uid %d, gid %d) on the way to the data directory %s: make it traversable (e.g. chmod o+x %s) or choose a data directory elsewhere", u.name, u.uid, dir, fi.Mode(), st.Uid, st.Gid, dataDir, dir)
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

func canSearch(perm fs.FileMode, ownerUID, ownerGID uint32, u *osUser) bool {
	switch {
	case ownerUID == u.uid:
		return perm&0o100 != 0
	case ownerGID == u.gid || slices.Contains(u.groups, ownerGID):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// mkdirAllMode is os.MkdirAll that gives the directories it creates exactly
// mode perm, whatever the umask; existing directories are left alone.
func mkdirAllMode(dir string, perm fs.FileMode) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if err := os.Mkdir(d, perm); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue // created concurrently
			}
			return err
		}
		if err := os.Chmod(d, perm); err != nil {
			return err
		}
	}
	return nil
}

// ensureOwnership gives the data directory to runAs if it is not already.
func (c *pgCluster) ensureOwnership() error {
	fi, err := os.Stat(c.dataDir)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && uint32(st.Uid) == c.runAs.uid && uint32(st.Gid) == c.runAs.gid {
		return nil
	}
	return filepath.WalkDir(c.dataDir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(c.runAs.uid), int(c.runAs.gid))
	})
}

func (c *pgCluster) chown(path string) error {
	if c.runAs == nil {
		return nil
	}
	return os.Lchown(path, int(c.runAs.uid), int(c.runAs.gid))
}

// writeFile writes a small 0600 file (owned by runAs when root).
func (c *pgCluster) writeFile(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	if err := c.chown(tmp); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// writeTempPasswordFile writes the password for initdb --pwfile in dir,
// which the user running initdb can reach.
func (c *pgCluster) writeTempPasswordFile(dir, password string) (string, error) {
	f, err := os.CreateTemp(dir, ".herald-pwfile-*")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(password + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = c.chown(f.Name())
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// openLog opens the server log for appending, truncating it when it has grown
// large, and returns the offset at which this start's output begins.
func (c *pgCluster) openLog(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	if err := c.chown(path); err != nil {
		_ = f.Close()
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, err
	}
	size := fi.Size()
	if size > maxLogSize {
		if err := f.Truncate(0); err != nil {
			_ = f.Close()
			return nil, 0, err
		}
		size = 0
	}
	return f, size, nil
}

// serverEnv is the environment for initdb and postgres, without PG*
// variables that could redirect them.
func serverEnv() []string {
	env := os.Environ()
	return slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "PG") })
}
