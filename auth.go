package herald

import "time"

// Principal is who a bearer secret belongs to: the backend (an admin key) or one user (a token).
type Principal struct {
	Admin  bool   `db:"admin"`
	UserID string `db:"user_id"`
}

// APIKey is an admin key as listed: never the key, which only exists as its hash.
type APIKey struct {
	ID        string     `db:"id" json:"id"`
	Name      string     `db:"name" json:"name"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	RevokedAt *time.Time `db:"revoked_at" json:"revoked_at"`
}

// UserToken is a user token as stored and listed: never the token, which only exists as its hash.
type UserToken struct {
	ID        string     `db:"id" json:"id"`
	UserID    string     `db:"user_id" json:"user_id"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	ExpiresAt time.Time  `db:"expires_at" json:"expires_at"`
	RevokedAt *time.Time `db:"revoked_at" json:"revoked_at"`
}
