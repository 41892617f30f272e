package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/herald-webhooks/herald"
)

// User token lifetimes.
const (
	TokenPrefix     = "hut_" // recognizable in logs and secret scanners
	DefaultTokenTTL = time.Hour
	MinTokenTTL     = time.Minute
	MaxTokenTTL     = 30 * 24 * time.Hour
)

// TokenStore is what the tokens service reads and changes: user tokens, stored as hashes.
type TokenStore interface {
	CreateUserToken(ctx context.Context, userID, token string, expiresAt time.Time) (*herald.UserToken, error)
	UserTokens(ctx context.Context, userID string) ([]herald.UserToken, error)
	RevokeUserTokens(ctx context.Context, userID string) (int, error)
	RevokeUserToken(ctx context.Context, userID, tokenID string) (*herald.UserToken, error)
	UserExists(ctx context.Context, id string) (bool, error)
}

// Tokens mints and revokes the tokens the backend's users call Herald with; every method
// needs an admin key. Authenticate resolves a token (or an admin key) to its holder.
type Tokens struct {
	Store TokenStore
	Auth  Authorizer
	Now   func() time.Time // time.Now when nil
}

// TokenRequest is the body of a mint: the token's lifetime in seconds (DefaultTokenTTL when
// nil).
type TokenRequest struct {
	TTLSeconds *int64 `json:"ttl_seconds"`
}

// Validate reports the field errors of the request.
func (r TokenRequest) Validate() []herald.ErrorDetail {
	if r.TTLSeconds != nil && (*r.TTLSeconds < int64(MinTokenTTL/time.Second) || *r.TTLSeconds > int64(MaxTokenTTL/time.Second)) {
		return []herald.ErrorDetail{{Field: "ttl_seconds", Message: "must be between 60 and 2592000 (30 days)"}}
	}
	return nil
}

// MintedToken is the only answer that shows a token.
type MintedToken struct {
	herald.UserToken
	Token string `json:"token"`
}

// Mint creates a token for a user of the directory; an unknown user is ENotFound.
func (s *Tokens) Mint(ctx context.Context, userID string, in Input[TokenRequest]) (*MintedToken, error) {
	if err := s.Auth.Admin(ctx); err != nil {
		return nil, err
	}
	req, err := in()
	if err != nil {
		return nil, err
	}
	if err := herald.Invalid("the token", req.Validate()); err != nil {
		return nil, err
	}
	ttl := DefaultTokenTTL
	if req.TTLSeconds != nil {
		ttl = time.Duration(*req.TTLSeconds) * time.Second
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+)
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	t, err := s.Store.CreateUserToken(ctx, userID, token, now().Add(ttl).UTC())
	if err != nil {
		return nil, err
	}
	return &MintedToken{UserToken: *t, Token: token}, nil
}

// List lists a user's tokens, revoked and expired ones included; an unknown user is ENotFound.
func (s *Tokens) List(ctx context.Context, userID string) ([]herald.UserToken, error) {
	if err := s.userKnown(ctx, userID); err != nil {
		return nil, err
	}
	return s.Store.UserTokens(ctx, userID)
}

// RevokeAll revokes every token of the user; an unknown user is ENotFound.
func (s *Tokens) RevokeAll(ctx context.Context, userID string) error {
	if err := s.userKnown(ctx, userID); err != nil {
		return err
	}
	_, err := s.Store.RevokeUserTokens(ctx, userID)
	return err
}

// Revoke revokes one token of the user (again: no change); another user's token is ENotFound.
func (s *Tokens) Revoke(ctx context.Context, userID, tokenID string) error {
	if err := s.Auth.Admin(ctx); err != nil {
		return err
	}
	_, err := s.Store.RevokeUserToken(ctx, userID, tokenID)
	return err
}

// userKnown is nil when the caller is an admin and the user is in the directory.
func (s *Tokens) userKnown(ctx context.Context, userID string) error {
	if err := s.Auth.Admin(ctx); err != nil {
		return err
	}
	ok, err := s.Store.UserExists(ctx, userID)
	if err != nil {
		return err
	}
	if !ok {
		return herald.Errorf(herald.ENotFound, "user not found")
	}
	return nil
}
