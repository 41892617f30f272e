//go:build unix && !aix && !solaris

package devstack

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// relocatedClusters is where a root-run herald keeps a cluster whose data dir the postgres user
// cannot reach. /var/lib is searchable by every user on the systems Herald runs on; tests use
// the same place (and remove what they made).
var relocatedClusters = "/var/lib/herald"

// ownerSuffix names the file, beside a relocated cluster, that holds the path of the data dir
// linking to it: the link says where a data dir's cluster is, the owner file says whose it is.
const ownerSuffix = ".data-dir"

// reachableDataDir returns where the cluster of dataDir lives when PostgreSQL runs as the
// postgres user. Usually that is dataDir itself. When the postgres user cannot enter one of its
// parents (root's home is mode 0700, the common case in containers), the permissions of the
// user's directories are left alone: the cluster lives in relocatedClusters under a name
// derived from dataDir's path, and dataDir becomes a symbolic link to it, so that the next start
// finds the same cluster, `rm -rf .herald` still resets the stack, and two repositories never
// share a cluster (a copied data dir whose link leads to another data dir's cluster gets a
// cluster of its own).
func (c *pgCluster) reachableDataDir(dataDir string) (string, error) {
	parent, err := filepath.EvalSymlinks(filepath.Dir(dataDir))
	if err != nil {
		return "", fmt.Errorf("start postgres: %w", err)
	}
	link := filepath.Join(parent, filepath.Base(dataDir))
	fi, err := os.Lstat(link)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(link)
		if err != nil {
			return "", fmt.Errorf("start postgres: %w", err)
		}
		owned, err := c.claim(link, target)
		if err != nil {
			return "", err
		}
		if owned {
			return target, nil
		}
		if !isRelocated(target) {
			break // a link the user made: it must be reachable like any data dir
		}
		c.logger.Warn("the postgres cluster this data dir links to belongs to another data dir (a copy?); creating a new one",
			"data_dir", link, "cluster", target)
		if err := os.Remove(link); err != nil {
			return "", fmt.Errorf("start postgres: %w", err)
		}
		return c.relocate(link)
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		if checkTraversable(link, c.runAs) != nil {
			return c.relocate(link)
		}
	default:
		return "", fmt.Errorf("start postgres: %w", err)
	}
	if err := checkTraversable(link, c.runAs); err != nil {
		return "", err
	}
	return link, nil
}

// relocate creates the link from a new data dir to its cluster's directory in
// relocatedClusters; initdb creates the cluster there.
func (c *pgCluster) relocate(link string) (string, error) {
	sum := sha256.Sum256([]byte(link))
	target := filepath.Join(relocatedClusters, "postgres-"+hex.EncodeToString(sum[:8]))
	if err := mkdirAllMode(relocatedClusters, 0o755); err != nil {
		return "", fmt.Errorf("start postgres: the postgres user cannot reach %s, and its cluster cannot be kept in %s: %w", link, relocatedClusters, err)
	}
	if err := checkTraversable(target, c.runAs); err != nil {
		return "", err
	}
	// A cluster there was this path's before its data dir was deleted: the data dir was the
	// only way to it, and deleting it asked for a new stack.
	if _, err := os.Stat(target); err == nil {
		c.logger.Warn("removing the postgres cluster of a deleted data dir", "data_dir", link, "cluster", target)
		if err := os.RemoveAll(target); err != nil {
			return "", fmt.Errorf("start postgres: remove stale %s: %w", target, err)
		}
	}
	if err := os.WriteFile(target+ownerSuffix, []byte(link+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("start postgres: %w", err)
	}
	if err := os.Symlink(target, link); err != nil {
		return "", fmt.Errorf("start postgres: link %s to its cluster: %w", link, err)
	}
	c.logger.Info("the postgres user cannot reach the data dir: keeping the cluster where it can, linked from the data dir",
		"data_dir", link, "cluster", target)
	return target, nil
}

// claim reports whether the relocated cluster at target is link's: its owner file names link,
// or names a data dir that no longer links to it (the repository was moved; link takes it
// over). A cluster whose owner still links to it is the owner's: link is a copy.
func (c *pgCluster) claim(link, target string) (bool, error) {
	b, err := os.ReadFile(target + ownerSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start postgres: %w", err)
	}
	owner := strings.TrimSpace(string(b))
	if owner == link {
		return true, nil
	}
	if t, err := os.Readlink(owner); err == nil && t == target {
		return false, nil
	}
	c.logger.Info("taking over the postgres cluster of a moved data dir", "data_dir", link, "was", owner, "cluster", target)
	if err := os.WriteFile(target+ownerSuffix, []byte(link+"\n"), 0o644); err != nil {
		return false, fmt.Errorf("start postgres: %w", err)
	}
	return true, nil
}

func isRelocated(path string) bool {
	return filepath.Dir(path) == filepath.Clean(relocatedClusters)
}
