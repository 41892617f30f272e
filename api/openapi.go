package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openapiJSON is the OpenAPI 3.1 description of the whole API; openapi_test.go checks that it
// lists exactly the routes the server has.
//
//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns the API's OpenAPI document.
func OpenAPI() []byte { return openapiJSON }

// openapiRoutes serves the document at GET /api/v1/openapi.json without authentication.
func (s *Server) openapiRoutes(g *gin.RouterGroup) {
	g.GET("/api/v1/openapi.json", func(c *gin.Context) {
		c.Data(http.StatusOK, "application/json", openapiJSON)
	})
}
