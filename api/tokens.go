package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/app"
)

// User token lifetimes (app.Tokens).
const (
	TokenPrefix     = app.TokenPrefix
	DefaultTokenTTL = app.DefaultTokenTTL
	MinTokenTTL     = app.MinTokenTTL
	MaxTokenTTL     = app.MaxTokenTTL
)

// tokenRoutes let the backend mint and revoke the tokens its users call Herald with; they need
// an admin key (app.Tokens decides).
func (s *Server) tokenRoutes(g *gin.RouterGroup) {
	g.POST("/users/:id/tokens", s.handle(s.createToken))
	g.GET("/users/:id/tokens", s.handle(s.listTokens))
	g.DELETE("/users/:id/tokens", s.handle(s.revokeTokens))
	g.DELETE("/users/:id/tokens/:tokenId", s.handle(s.revokeToken))
}

func (s *Server) createToken(c *gin.Context) error {
	t, err := s.svc.tokens.Mint(c.Request.Context(), c.Param("id"), func() (app.TokenRequest, error) {
		var in app.TokenRequest
		if c.Request.ContentLength == 0 { // a POST without a body takes the default lifetime
			return in, nil
		}
		return in, decodeJSON(c, &in)
	})
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusCreated, t)
	return nil
}

func (s *Server) listTokens(c *gin.Context) error {
	ts, err := s.svc.tokens.List(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusOK, list[herald.UserToken]{Data: ts})
	return nil
}

// revokeTokens revokes every token of the user: 204, or 404 for a user not in the directory.
func (s *Server) revokeTokens(c *gin.Context) error {
	return noContent(c, s.svc.tokens.RevokeAll(c.Request.Context(), c.Param("id")))
}

// revokeToken revokes one token of the user (again: still 204); another user's token is a 404.
func (s *Server) revokeToken(c *gin.Context) error {
	return noContent(c, s.svc.tokens.Revoke(c.Request.Context(), c.Param("id"), c.Param("tokenId")))
}
