package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/herald-webhooks/herald"
)

const upsertUserSQL = `
INSERT INTO users (id, email, name) VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, updated_at = now()`

// User is a backend user as synced into Herald's directory.
type User struct {
	ID    string `db:"id" json:"id"`
	Email string `db:"email" json:"email"`
	Name  string `db:"name" json:"name"`
}

// UpsertUser creates or replaces a user.
func (s *Store) UpsertUser(ctx context.Context, u User) error {
	if _, err := s.db.ExecContext(ctx, upsertUserSQL, u.ID, u.Email, u.Name); err != nil {
		return fmt.Errorf("upsert user: %w", err)
	}
	return nil
}

const upsertOrganizationSQL = `
INSERT INTO organizations (id, name) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()`

// Organization is a backend organization as synced into Herald's directory.
type Organization struct {
	ID   string `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// UpsertOrganization creates or replaces an organization.
func (s *Store) UpsertOrganization(ctx context.Context, o Organization) error {
	if _, err := s.db.ExecContext(ctx, upsertOrganizationSQL, o.ID, o.Name); err != nil {
		return fmt.Errorf("upsert organization: %w", err)
	}
	return nil
}

const upsertMembershipSQL = `
INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, $3)
ON CONFLICT (organization_id, user_id) DO UPDATE SET role = EXCLUDED.role, updated_at = now()`

// Membership is a user's role in an organization.
type Membership struct {
	OrganizationID string `db:"organization_id" json:"organization_id"`
	UserID         string `db:"user_id" json:"user_id"`
	Role           string `db:"role" json:"role"`
}

// UpsertMembership sets a user's role in an organization; both must exist.
func (s *Store) UpsertMembership(ctx context.Context, m Membership) error {
	if _, err := s.db.ExecContext(ctx, upsertMembershipSQL, m.OrganizationID, m.UserID, m.Role); err != nil {
		if isForeignKeyViolation(err) {
			return herald.Errorf(herald.ENotFound, "organization or user not found")
		}
		return fmt.Errorf("upsert membership: %w", err)
	}
	return nil
}

// UserExists reports whether the directory knows the user.
func (s *Store) UserExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, id)
	return ok, err
}

// OrganizationExists reports whether the directory knows the organization.
func (s *Store) OrganizationExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1)`, id)
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
