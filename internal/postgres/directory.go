package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/herald-webhooks/herald"
)

const upsertUserSQL = `
INSERT INTO users (id, email, name) VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, deleted_at = NULL, updated_at = now()`

// UpsertUser creates or replaces a user; a deleted user comes back without its former
// memberships, tokens and webhooks.
func (s *Store) UpsertUser(ctx context.Context, u herald.User) error {
	if _, err := s.db.ExecContext(ctx, upsertUserSQL, u.ID, u.Email, u.Name); err != nil {
		return fmt.Errorf("upsert user: %w", err)
	}
	return nil
}

const deleteUserSQL = `
UPDATE users SET deleted_at = now(), email = '', name = '', updated_at = now()
WHERE id = $1 AND deleted_at IS NULL`

// DeleteUser removes a user from the directory: its memberships go, its tokens are revoked,
// its personal webhooks are deleted (their pending deliveries cancelled, their logs kept) and
// its email and name are cleared. An unknown or already deleted user is a not_found error.
func (s *Store) DeleteUser(ctx context.Context, id string) ([]herald.StoppedWebhook, error) {
	return s.deleteOwner(ctx, "user", deleteUserSQL, herald.Owner{UserID: id},
		`DELETE FROM memberships WHERE user_id = $1`,
		`UPDATE user_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`)
}

// deleteOwner marks a user or organization deleted with deleteSQL, runs the cleanup
// statements on its id and retires its webhooks, in one transaction.
func (s *Store) deleteOwner(ctx context.Context, what, deleteSQL string, owner herald.Owner, cleanup ...string) ([]herald.StoppedWebhook, error) {
	id := owner.UserID + owner.OrganizationID
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("delete %s: %w", what, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, deleteSQL, id)
	if err != nil {
		return nil, fmt.Errorf("delete %s: %w", what, err)
	}
	if err := changedARow(res, what); err != nil {
		return nil, err
	}
	for _, q := range cleanup {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return nil, fmt.Errorf("delete %s: %w", what, err)
		}
	}
	stopped := []herald.StoppedWebhook{}
	if err := sqlx.SelectContext(ctx, tx, &stopped, retireWebhooksSQL, owner.UserID, owner.OrganizationID); err != nil {
		return nil, fmt.Errorf("delete %s's webhooks: %w", what, err)
	}
	return stopped, tx.Commit()
}

// retireWebhooksSQL deletes an owner's webhooks and cancels their pending deliveries, and
// returns the webhooks that had some: a cancel-deliveries workflow cancels their delivery
// workflows (one not reached yet finds the delivery finished at its next attempt and stops).
const retireWebhooksSQL = `
WITH gone AS (
    UPDATE webhooks SET deleted_at = now(), updated_at = now()
    WHERE deleted_at IS NULL AND (($1 <> '' AND user_id = $1) OR ($2 <> '' AND organization_id = $2))
    RETURNING id, updated_at
), stopped AS (
    UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, updated_at = now()
    WHERE status = 'pending' AND webhook_id IN (SELECT id FROM gone)
    RETURNING webhook_id
)
SELECT DISTINCT gone.id AS webhook_id, gone.updated_at FROM gone JOIN stopped ON stopped.webhook_id = gone.id`

const upsertOrganizationSQL = `
INSERT INTO organizations (id, name) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, deleted_at = NULL, updated_at = now()`

// UpsertOrganization creates or replaces an organization; a deleted organization comes back
// without its former members and webhooks.
func (s *Store) UpsertOrganization(ctx context.Context, o herald.Organization) error {
	if _, err := s.db.ExecContext(ctx, upsertOrganizationSQL, o.ID, o.Name); err != nil {
		return fmt.Errorf("upsert organization: %w", err)
	}
	return nil
}

const deleteOrganizationSQL = `
UPDATE organizations SET deleted_at = now(), name = '', updated_at = now()
WHERE id = $1 AND deleted_at IS NULL`

// DeleteOrganization removes an organization from the directory: its memberships go and its
// webhooks are deleted (their pending deliveries cancelled, their logs kept). An unknown or
// already deleted organization is a not_found error.
func (s *Store) DeleteOrganization(ctx context.Context, id string) ([]herald.StoppedWebhook, error) {
	return s.deleteOwner(ctx, "organization", deleteOrganizationSQL, herald.Owner{OrganizationID: id},
		`DELETE FROM memberships WHERE organization_id = $1`)
}

const upsertMembershipSQL = `
INSERT INTO memberships (organization_id, user_id, role)
SELECT o.id, u.id, $3 FROM organizations o, users u
WHERE o.id = $1 AND o.deleted_at IS NULL AND u.id = $2 AND u.deleted_at IS NULL
ON CONFLICT (organization_id, user_id) DO UPDATE SET role = EXCLUDED.role, updated_at = now()`

// UpsertMembership sets a user's role in an organization; both must exist.
func (s *Store) UpsertMembership(ctx context.Context, m herald.Membership) error {
	res, err := s.db.ExecContext(ctx, upsertMembershipSQL, m.OrganizationID, m.UserID, m.Role)
	if err != nil {
		if isForeignKeyViolation(err) { // deleted by a concurrent request
			return herald.Errorf(herald.ENotFound, "organization or user not found")
		}
		return fmt.Errorf("upsert membership: %w", err)
	}
	return changedARow(res, "organization or user")
}

// DeleteMembership removes a user from an organization; no such membership is a not_found error.
func (s *Store) DeleteMembership(ctx context.Context, organizationID, userID string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2`,
		organizationID, userID)
	if err != nil {
		return fmt.Errorf("delete membership: %w", err)
	}
	return changedARow(res, "membership")
}

// changedARow is a not_found error naming what when a statement changed no row.
func changedARow(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return herald.Errorf(herald.ENotFound, "%s not found", what)
	}
	return nil
}

// UserExists reports whether the directory knows the user.
func (s *Store) UserExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL)`, id)
	return ok, err
}

// OrganizationExists reports whether the directory knows the organization.
func (s *Store) OrganizationExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1 AND deleted_at IS NULL)`, id)
	return ok, err
}

// HashKey is how API keys and tokens are stored: their SHA-256.
func HashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// CreateAPIKey stores the hash of an admin key under a name and returns its id.
func (s *Store) CreateAPIKey(ctx context.Context, name, key string) (string, error) {
	id := herald.NewID("key_")
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_keys (id, name, key_hash) VALUES ($1, $2, $3)
		ON CONFLICT (key_hash) DO NOTHING`, id, name, HashKey(key))
	if err != nil {
		return "", fmt.Errorf("create api key: %w", err)
	}
	return id, nil
}

// AdminKeyValid reports whether key is a stored, unrevoked admin key.
func (s *Store) AdminKeyValid(ctx context.Context, key string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL)`, HashKey(key))
	return ok, err
}
