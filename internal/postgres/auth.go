package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/herald-webhooks/herald"
)

// principalSQL finds the holder of a secret among the unrevoked admin keys and the unrevoked,
// unexpired tokens of users still in the directory, in one query.
const principalSQL = `
SELECT true AS admin, '' AS user_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
UNION ALL
SELECT false, t.user_id FROM user_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND u.deleted_at IS NULL
LIMIT 1`

// PrincipalOf returns who holds secret; ok is false when no valid key or token matches it.
func (s *Store) PrincipalOf(ctx context.Context, secret string) (p herald.Principal, ok bool, err error) {
	err = s.db.GetContext(ctx, &p, principalSQL, HashKey(secret))
	if errors.Is(err, sql.ErrNoRows) {
		return herald.Principal{}, false, nil
	}
	if err != nil {
		return herald.Principal{}, false, fmt.Errorf("authenticate: %w", err)
	}
	return p, true, nil
}

// MemberRole is the user's role in the organization, "" when the user is not a member.
func (s *Store) MemberRole(ctx context.Context, organizationID, userID string) (herald.Role, error) {
	var role herald.Role
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
func (s *Store) WebhookOwner(ctx context.Context, webhookID string) (herald.Owner, error) {
	var row struct {
		UserID         *string `db:"user_id"`
		OrganizationID *string `db:"organization_id"`
	}
	if err := s.db.GetContext(ctx, &row, `SELECT user_id, organization_id FROM webhooks WHERE id = $1`, webhookID); err != nil {
		return herald.Owner{}, notFound(err, "webhook")
	}
	var o herald.Owner
	if row.UserID != nil {
		o.UserID = *row.UserID
	}
	if row.OrganizationID != nil {
		o.OrganizationID = *row.OrganizationID
	}
	return o, nil
}

// APIKeys lists the admin keys, oldest first.
func (s *Store) APIKeys(ctx context.Context) ([]herald.APIKey, error) {
	keys := []herald.APIKey{}
	if err := s.db.SelectContext(ctx, &keys, `SELECT id, name, created_at, revoked_at FROM api_keys ORDER BY created_at, id`); err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey revokes an admin key; it is refused from then on. Revoking it again keeps the
// first revocation time. An unknown id is a not_found error.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) (herald.APIKey, error) {
	var k herald.APIKey
	err := s.db.GetContext(ctx, &k, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1
		RETURNING id, name, created_at, revoked_at`, id)
	if err != nil {
		return herald.APIKey{}, notFound(err, "api key")
	}
	return k, nil
}

const userTokenColumns = `id, user_id, created_at, expires_at, revoked_at`

const insertUserTokenSQL = `
INSERT INTO user_tokens (id, user_id, token_hash, expires_at)
SELECT $1, id, $3, $4 FROM users WHERE id = $2 AND deleted_at IS NULL
RETURNING ` + userTokenColumns

// CreateUserToken stores the hash of a token for a user of the directory, valid until expiresAt.
func (s *Store) CreateUserToken(ctx context.Context, userID, token string, expiresAt time.Time) (*herald.UserToken, error) {
	var t herald.UserToken
	err := s.db.GetContext(ctx, &t, insertUserTokenSQL, herald.NewID("tok_"), userID, HashKey(token), expiresAt)
	if err != nil {
		return nil, notFound(err, "user")
	}
	return &t, nil
}

// UserTokens lists a user's tokens, oldest first, revoked and expired ones included.
func (s *Store) UserTokens(ctx context.Context, userID string) ([]herald.UserToken, error) {
	ts := []herald.UserToken{}
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
func (s *Store) RevokeUserToken(ctx context.Context, userID, tokenID string) (*herald.UserToken, error) {
	var t herald.UserToken
	err := s.db.GetContext(ctx, &t, `UPDATE user_tokens SET revoked_at = COALESCE(revoked_at, now())
		WHERE id = $1 AND user_id = $2 RETURNING `+userTokenColumns, tokenID, userID)
	if err != nil {
		return nil, notFound(err, "token")
	}
	return &t, nil
}
