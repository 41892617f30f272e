package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/postgres"
)

// statusOf is the one mapping from Herald error codes to HTTP statuses.
func statusOf(code string) int {
	switch code {
	case herald.EMalformed:
		return http.StatusBadRequest
	case herald.EInvalid, herald.EUnknownEvent:
		return http.StatusUnprocessableEntity
	case herald.EUnauthorized:
		return http.StatusUnauthorized
	case herald.EForbidden:
		return http.StatusForbidden
	case herald.ENotFound:
		return http.StatusNotFound
	case herald.EConflict:
		return http.StatusConflict
	case herald.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case herald.ERateLimited:
		return http.StatusTooManyRequests
	case herald.EUnavailable:
		return http.StatusServiceUnavailable
	case herald.EMethodNotAllowed:
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error *herald.Error `json:"error"`
}

// writeError answers with the JSON error model. Internal errors are logged and never shown.
func (s *Server) writeError(c *gin.Context, err error) {
	var herr *herald.Error
	if !errors.As(err, &herr) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			herr = herald.Errorf(herald.ETooLarge, "request body is over the limit of %d bytes", tooLarge.Limit)
		} else if postgres.Unreachable(err) {
			s.Logger.Warn("a dependency is unavailable", "method", c.Request.Method, "path", c.FullPath(), "error", err)
			herr = herald.Errorf(herald.EUnavailable, "a service Herald depends on is unavailable; try again")
		} else {
			s.Logger.Error("request failed", "method", c.Request.Method, "path", c.FullPath(), "error", err)
			herr = herald.Errorf(herald.EInternal, "internal error")
		}
	}
	if herr.Cause != nil {
		level := slog.LevelWarn
		if herr.Code == herald.EInternal {
			level = slog.LevelError
		}
		s.Logger.Log(c.Request.Context(), level, "request failed", "method", c.Request.Method, "path", c.FullPath(),
			"code", herr.Code, "error", herr.Cause)
	}
	c.Abort()
	c.PureJSON(statusOf(herr.Code), errorBody{Error: herr})
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64", "float64":
		return "a number"
	case "bool":
		return "a boolean"
	case "slice":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "another type"
}
