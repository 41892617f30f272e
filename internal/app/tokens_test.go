package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
)

// memTokens is the token store in memory, for the users usr_alice and usr_bob.
type memTokens struct {
	tokens []herald.UserToken
	minted []string // the tokens as given to the store
}

func (m *memTokens) CreateUserToken(_ context.Context, userID, token string, expiresAt time.Time) (*herald.UserToken, error) {
	if ok, _ := m.UserExists(context.Background(), userID); !ok {
		return nil, herald.Errorf(herald.ENotFound, "user not found")
	}
	t := herald.UserToken{ID: "tok_" + userID, UserID: userID, ExpiresAt: expiresAt}
	m.tokens, m.minted = append(m.tokens, t), append(m.minted, token)
	return &t, nil
}

func (m *memTokens) UserTokens(_ context.Context, userID string) ([]herald.UserToken, error) {
	var out []herald.UserToken
	for _, t := range m.tokens {
		if t.UserID == userID {
			out = append(out, t)
		}
	}
	return out, nil
}

func (m *memTokens) RevokeUserTokens(context.Context, string) (int, error) { return 0, nil }

func (m *memTokens) RevokeUserToken(_ context.Context, userID, tokenID string) (*herald.UserToken, error) {
	for _, t := range m.tokens {
		if t.ID == tokenID && t.UserID == userID {
			return &t, nil
		}
	}
	return nil, herald.Errorf(herald.ENotFound, "token not found")
}

func (m *memTokens) UserExists(_ context.Context, id string) (bool, error) {
	return id == "usr_alice" || id == "usr_bob", nil
}

func TestTokensAreTheBackendsAlone(t *testing.T) {
	store := &memTokens{}
	s := &Tokens{Store: store}
	for _, ctx := range []context.Context{as(alice), as(owner), context.Background()} {
		_, mintErr := s.Mint(ctx, "usr_alice", Given(TokenRequest{}))
		_, listErr := s.List(ctx, "usr_alice")
		for _, err := range []error{mintErr, listErr, s.RevokeAll(ctx, "usr_alice"), s.Revoke(ctx, "usr_alice", "tok_usr_alice")} {
			if code := herald.ErrorCode(err); code != herald.EForbidden {
				t.Errorf("code %q, want %q", code, herald.EForbidden)
			}
		}
	}
	if len(store.minted) > 0 {
		t.Fatalf("minted %v for a caller without an admin key", store.minted)
	}
}

func TestMintedTokens(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ttl := func(n int64) Input[TokenRequest] { return Given(TokenRequest{TTLSeconds: &n}) }
	t.Run("a token lives an hour by default, carries the prefix and is stored as given", func(t *testing.T) {
		store := &memTokens{}
		s := &Tokens{Store: store, Now: func() time.Time { return now }}
		m, err := s.Mint(as(admin), "usr_alice", Given(TokenRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		if !m.ExpiresAt.Equal(now.Add(time.Hour)) || !strings.HasPrefix(m.Token, TokenPrefix) ||
			len(store.minted) != 1 || store.minted[0] != m.Token {
			t.Fatalf("minted %+v, stored %v", m, store.minted)
		}
	})
	for _, tc := range []struct {
		name string
		ttl  int64
		code string
	}{
		{"a minute is the shortest lifetime", 60, ""},
		{"under a minute is refused", 59, herald.EInvalid},
		{"30 days is the longest", 30 * 24 * 3600, ""},
		{"over 30 days is refused", 30*24*3600 + 1, herald.EInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &memTokens{}
			s := &Tokens{Store: store, Now: func() time.Time { return now }}
			m, err := s.Mint(as(admin), "usr_alice", ttl(tc.ttl))
			if tc.code == "" {
				if err != nil || !m.ExpiresAt.Equal(now.Add(time.Duration(tc.ttl)*time.Second)) {
					t.Fatalf("minted %+v, error %v", m, err)
				}
				return
			}
			herr, _ := err.(*herald.Error)
			if herr == nil || herr.Code != tc.code || len(herr.Details) != 1 || herr.Details[0].Field != "ttl_seconds" || len(store.minted) > 0 {
				t.Fatalf("error %+v, stored %v", err, store.minted)
			}
		})
	}
	t.Run("a user not in the directory has no tokens", func(t *testing.T) {
		s := &Tokens{Store: &memTokens{}}
		_, mintErr := s.Mint(as(admin), "usr_gone", Given(TokenRequest{}))
		_, listErr := s.List(as(admin), "usr_gone")
		for _, err := range []error{mintErr, listErr, s.RevokeAll(as(admin), "usr_gone")} {
			if code := herald.ErrorCode(err); code != herald.ENotFound {
				t.Errorf("code %q, want %q", code, herald.ENotFound)
			}
		}
	})
	t.Run("another user's token is not found", func(t *testing.T) {
		store := &memTokens{}
		s := &Tokens{Store: store}
		if _, err := s.Mint(as(admin), "usr_alice", Given(TokenRequest{})); err != nil {
			t.Fatal(err)
		}
		if code := herald.ErrorCode(s.Revoke(as(admin), "usr_bob", "tok_usr_alice")); code != herald.ENotFound {
			t.Fatalf("code %q", code)
		}
	})
}
