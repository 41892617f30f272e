package postgres

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
)

// Unreachable reports whether err says PostgreSQL could not be reached or went away (as
// opposed to refusing a statement). Such errors are worth retrying, and are a 503 to clients.
func Unreachable(err error) bool {
	var netErr net.Error
	var pqErr *pq.Error
	switch {
	case errors.As(err, &netErr), errors.Is(err, driver.ErrBadConn), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &pqErr):
		// Class 08: connection exception; 57P01-03: the server is shutting down or starting.
		return pqErr.Code.Class() == "08" || strings.HasPrefix(string(pqErr.Code), "57P")
	}
	return false
}
