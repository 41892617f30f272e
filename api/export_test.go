package api

import "github.com/gin-gonic/gin"

// Engine exposes the Gin engine to the package's external tests, which read its route list.
func (s *Server) Engine() *gin.Engine { return s.engine() }
