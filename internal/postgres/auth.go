package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/herald-webhooks/herald"
)

// Principal is who a bearer secret belongs to: the backend (an admin key) or one user (a token).
type Principal struct {
	Admin  bool   `db:"admin"`
	UserID string `db:"user_id"`
}

// principalSQL finds the holder of a secret among the unrevoked admin keys and the unrevoked,
// unexpired tokens of users still in the directory, in one query.
const principalSQL = `
SELECT true AS admin, '' AS user_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
UNION ALL
SELECT false, t.user_id FROM user_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.deleted_at IS NULL
LIMIT 1`

// PrincipalOf returns who holds secret; ok is false when no valid key or token matches it.
func (s *Store) PrincipalOf(ctx context.Context, secret string) (p Principal, ok bool, err error) {
	err = s.db.GetContext(ctx, &p, principalSQL, HashKey(secret))
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, false, nil
	}
	if err != nil {
		return Principal{}, false, fmt.Errorf("authenticate: %w", err)
	}
	return p, true, nil
}

// MemberRole is the user's role in the organization, "" when the user is not a member.
func (s *Store) MemberRole(ctx context.Context, organizationID, userID string) (string, error) {
	var role string
	err := s.db.GetContext(ctx, &role, `SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2`,
		organizationID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read membership: %w", err)
	}
	return role, nil
}

// WebhookOwner is the owner of a webhook, deleted or not (a deleted webhook's logs stay readable).
func (s *Store) WebhookOwner(ctx context.Context, webhookID string) (Owner, error) {
	var row struct {
		UserID         *string `db:"user_id"`
		OrganizationID *string `db:"organization_id"`
	}
	if err := s.db.GetContext(ctx, &row, `SELECT user_id, organization_id FROM webhooks WHERE id = $1`, webhookID); err != nil {
		return Owner{}, notFound(err, "webhook")
	}
	var o Owner
	if row.UserID != nil {
		o.UserID = *row.UserID
	}
	if row.OrganizationID != nil {
		o.OrganizationID = *row.OrganizationID
	}
	return o, nil
}

// APIKey is an admin key as listed: never the key, which only exists as its hash.
type APIKey struct {
	ID        string     `db:"id" json:"id"`
	Name      string     `db:"name" json:"name"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	RevokedAt *time.Time `db:"revoked_at" json:"revoked_at"`
}

// APIKeys lists the admin keys, oldest first.
func (s *Store) APIKeys(ctx context.Context) ([]APIKey, error) {
	keys := []APIKey{}
	if err := s.db.SelectContext(ctx, &keys, `SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY created_at, id`); err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey revokes an admin key; it is refused from then on. Revoking it again keeps the
// first revocation time. An unknown id is a not_found error.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) (APIKey, error) {
	var k APIKey
	err := s.db.GetContext(ctx, &k, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1
		RETURNING id, name, created_at, revoked_at`, id)
	if err != nil {
		return APIKey{}, notFound(err, "api key")
	}
	return k, nil
}

// UserToken is a user token as stored and listed: never the token, which only exists as its hash.
type UserToken struct {
	ID        string     `db:"id" json:"id"`
	UserID    string     `db:"user_id" json:"user_id"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	ExpiresAt time.Time  `db:"expires_at" json:"expires_at"`
	RevokedAt *time.Time `db:"revoked_at" json:"revoked_at"`
}

const userTokenColumns = `id, user_id, created_at, expires_at, revoked_at`

const insertUserTokenSQL = `
INSERT INTO user_tokens (id, user_id, token_hash, expires_at)
SELECT $1, id, $3, $4 FROM users WHERE id = $2 AND deleted_at IS NULL
RETURNING ` + userTokenColumns

// CreateUserToken stores the hash of a token for a user of the directory, valid until expiresAt.
func (s *Store) CreateUserToken(ctx context.Context, userID, token string, expiresAt time.Time) (*UserToken, error) {
	var t UserToken
	err := s.db.GetContext(ctx, &t, insertUserTokenSQL, herald.NewID("tok_"), userID, HashKey(token), expiresAt)
	if err != nil {
		return nil, notFound(err, "user")
	}
	return &t, nil
}

// UserTokens lists a user's tokens, oldest first, revoked and expired ones included.
func (s *Store) UserTokens(ctx context.Context, userID string) ([]UserToken, error) {
	ts := []UserToken{}
	if err := s.db.SelectContext(ctx, &ts, `SELECT `+userTokenColumns+` FROM user_tokens WHERE user_id = $1
		ORDER BY created_at, id`, userID); err != nil {
		return nil, fmt.Errorf("list user tokens: %w", err)
	}
	return ts, nil
}

// RevokeUserTokens revokes every token of the user and returns how many were still unrevoked.
func (s *Store) RevokeUserTokens(ctx context.Context, userID string) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE user_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID)
	if err != nil {
		return 0, fmt.Errorf("revoke user tokens: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// RevokeUserToken revokes one of the user's tokens (again: no change). A token that is not the
// user's is a not_found error.
func (s *Store) RevokeUserToken(ctx context.Context, userID, tokenID string) (*UserToken, error) {
	var t UserToken
	err := s.db.GetContext(ctx, &t, `UPDATE user_tokens SET revoked_at = COALESCE(revoked_at, now())
		WHERE id = $1 AND user_id = $2 RETURNING `+userTokenColumns, tokenID, userID)
	if err != nil {
		return nil, notFound(err, "token")
	}
	return &t, nil
}
