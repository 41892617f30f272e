package devstack

// Finding PostgreSQL's server binaries on the machine and their major version.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// postgresSearchGlobs are the directories, after PATH, in which
// FindPostgresBinaries looks for initdb and postgres. Matches of one pattern
// are tried newest version first. Tests replace it.
var postgresSearchGlobs = []string{
	"/usr/lib/postgresql/*/bin",                          // Debian, Ubuntu
	"/usr/pgsql-*/bin",                                   // PGDG packages for Fedora, RHEL
	"/usr/local/pgsql/bin",                               // built from source
	"/opt/homebrew/opt/postgresql*/bin",                  // Homebrew (Apple silicon)
	"/usr/local/opt/postgresql*/bin",                     // Homebrew (Intel)
	"/Applications/Postgres.app/Contents/Versions/*/bin", // Postgres.app
}

// errPostgresNotFound is returned by FindPostgresBinaries.
var errPostgresNotFound = errors.New(`PostgreSQL server binaries (initdb, postgres) not found on PATH or under /usr/lib/postgresql/*/bin: install them with "apt-get install postgresql" (Debian/Ubuntu), "dnf install postgresql-server" (Fedora) or "brew install postgresql" (macOS), or set HERALD_DATABASE_URL to use an external server`)

// versionPattern extracts the version from `postgres --version`.
var versionPattern = regexp.MustCompile(`\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?`)

// FindPostgresBinaries returns the directory holding the PostgreSQL server
// binaries initdb and postgres. It searches PATH first, then
// /usr/lib/postgresql/*/bin (newest version first), /usr/local/pgsql/bin and
// a few other well-known locations. If none is found, the error explains how
// to install them.
func FindPostgresBinaries() (dir string, err error) {
	return findPostgresBinaries(os.Getenv("PATH"), postgresSearchGlobs)
}

func findPostgresBinaries(pathEnv string, globs []string) (string, error) {
	for _, dir := range filepath.SplitList(pathEnv) {
		// Relative PATH entries are skipped, as exec.LookPath refuses them.
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		if hasPostgresBinaries(dir) {
			return dir, nil
		}
	}
	for _, pattern := range globs {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			continue
		}
		slices.SortFunc(matches, func(a, b string) int { return naturalCompare(b, a) })
		for _, dir := range matches {
			if hasPostgresBinaries(dir) {
				return dir, nil
			}
		}
	}
	return "", errPostgresNotFound
}

func hasPostgresBinaries(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// naturalCompare compares strings with runs of digits compared as numbers,
// so that "9.6" < "15" < "16".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			na, restA := splitDigits(a)
			nb, restB := splitDigits(b)
			na, nb = strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = restA, restB
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func splitDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// binaryMajorVersion returns the major version of a PostgreSQL binary in the
// form used by PG_VERSION ("15", or "9.6" before version 10).
func binaryMajorVersion(path string) (string, error) {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("start postgres: %s --version: %w", path, err)
	}
	m := versionPattern.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("start postgres: cannot parse the output of %s --version: %q", path, bytes.TrimSpace(out))
	}
	major := string(m[1])
	if n, _ := strconv.Atoi(major); n < 10 && len(m[2]) > 0 {
		major += "." + string(m[2])
	}
	return major, nil
}
