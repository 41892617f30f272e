package api

import "github.com/gin-gonic/gin"

// handler is a request handler that decodes its input, calls a service and encodes the
// answer, returning any error instead of answering it: handle gives every error to the one
// error mapper (writeError), so no handler answers an error itself.
type handler func(c *gin.Context) error

// handle adapts h to Gin: an error h returns is answered with the JSON error model.
func (s *Server) handle(h handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.writeError(c, err)
		}
	}
}

// middleware adapts h to a Gin middleware: the chain goes on when h returns nil, and stops
// with the JSON error model when it returns an error.
func (s *Server) middleware(h handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.writeError(c, err)
			return
		}
		c.Next()
	}
}
