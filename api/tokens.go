package api

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
)

// User token lifetimes.
const (
	TokenPrefix     = "hut_" // recognizable in logs and secret scanners
	DefaultTokenTTL = time.Hour
	MinTokenTTL     = time.Minute
	MaxTokenTTL     = 30 * 24 * time.Hour
)

// tokenRoutes let the backend mint and revoke the tokens its users call Herald with.
func (s *Server) tokenRoutes(g *gin.RouterGroup) {
	g = g.Group("", s.adminOnly())
	g.POST("/users/:id/tokens", s.createToken)
	g.GET("/users/:id/tokens", s.listTokens)
	g.DELETE("/users/:id/tokens", s.revokeTokens)
	g.DELETE("/users/:id/tokens/:tokenId", s.revokeToken)
}

// mintedToken is the only answer that shows a token.
type mintedToken struct {
	herald.UserToken
	Token string `json:"token"`
}

func (s *Server) createToken(c *gin.Context) {
	var in struct {
		TTLSeconds *int64 `json:"ttl_seconds"`
	}
	if c.Request.ContentLength != 0 { // a POST without a body takes the default lifetime
		if err := decodeJSON(c, &in); err != nil {
			s.writeError(c, err)
			return
		}
	}
	ttl := DefaultTokenTTL
	if in.TTLSeconds != nil {
		if *in.TTLSeconds < int64(MinTokenTTL/time.Second) || *in.TTLSeconds > int64(MaxTokenTTL/time.Second) {
			s.writeError(c, &herald.Error{Code: herald.EInvalid, Message: "the token is not valid",
				Details: []herald.ErrorDetail{{Field: "ttl_seconds", Message: "must be between 60 and 2592000 (30 days)"}}})
			return
		}
		ttl = time.Duration(*in.TTLSeconds) * time.Second
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+)
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	t, err := s.Store.CreateUserToken(c.Request.Context(), c.Param("id"), token, time.Now().Add(ttl).UTC())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusCreated, mintedToken{UserToken: *t, Token: token})
}

func (s *Server) listTokens(c *gin.Context) {
	ctx := c.Request.Context()
	if err := s.requireUser(c); err != nil {
		s.writeError(c, err)
		return
	}
	ts, err := s.Store.UserTokens(ctx, c.Param("id"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, list[herald.UserToken]{Data: ts})
}

// revokeTokens revokes every token of the user: 204, or 404 for a user not in the directory.
func (s *Server) revokeTokens(c *gin.Context) {
	ctx := c.Request.Context()
	if err := s.requireUser(c); err != nil {
		s.writeError(c, err)
		return
	}
	if _, err := s.Store.RevokeUserTokens(ctx, c.Param("id")); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// revokeToken revokes one token of the user (again: still 204); another user's token is a 404.
func (s *Server) revokeToken(c *gin.Context) {
	if _, err := s.Store.RevokeUserToken(c.Request.Context(), c.Param("id"), c.Param("tokenId")); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// requireUser is nil when the user in the path is in the directory.
func (s *Server) requireUser(c *gin.Context) error {
	ok, err := s.Store.UserExists(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if !ok {
		return herald.Errorf(herald.ENotFound, "user not found")
	}
	return nil
}
