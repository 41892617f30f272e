package herald

import (
	"net/mail"
	"strconv"
	"time"
)

// User is a backend user as synced into Herald's directory.
type User struct {
	ID    string `db:"id" json:"id"`
	Email string `db:"email" json:"email"`
	Name  string `db:"name" json:"name"`
}

// Validate reports the field errors of the user: its id, an email address if it has one, and
// the length of its name.
func (u *User) Validate() []ErrorDetail {
	var d details
	d.id("id", u.ID)
	if u.Email != "" {
		if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || len(u.Email) > 320 {
			d.add("email", "must be an email address like ada@example.com")
		}
	}
	d.maxLen("name", u.Name, 200)
	return d
}

// Organization is a backend organization as synced into Herald's directory.
type Organization struct {
	ID   string `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// Validate reports the field errors of the organization: its id and the length of its name.
func (o *Organization) Validate() []ErrorDetail {
	var d details
	d.id("id", o.ID)
	d.maxLen("name", o.Name, 200)
	return d
}

// Role is a user's role in an organization: it decides what the user may do to the
// organization's resources.
type Role string

// Roles. Every member may read an organization's resources; owners and admins may change them.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleMember:
		return true
	}
	return false
}

// CanWrite reports whether the role may change the organization's resources.
func (r Role) CanWrite() bool { return r == RoleOwner || r == RoleAdmin }

// Membership is a user's role in an organization.
type Membership struct {
	OrganizationID string `db:"organization_id" json:"organization_id"`
	UserID         string `db:"user_id" json:"user_id"`
	Role           Role   `db:"role" json:"role"`
}

// Validate reports the field errors of the membership. The ids come from the request's path,
// so their details name the path's parameters (id, userId).
func (m *Membership) Validate() []ErrorDetail {
	var d details
	d.id("id", m.OrganizationID)
	d.id("userId", m.UserID)
	if !m.Role.Valid() {
		d.add("role", "must be owner, admin or member")
	}
	return d
}

// Owner selects a webhook owner: exactly one of the two is set.
type Owner struct {
	UserID         string
	OrganizationID string
}

// OwnerOf is the owner of a webhook.
func OwnerOf(w *Webhook) Owner { return Owner{UserID: w.UserID, OrganizationID: w.OrganizationID} }

// StoppedWebhook is a deleted webhook whose pending deliveries the deletion cancelled, at
// UpdatedAt (the deliveries' updated_at): what a cancel-deliveries workflow needs.
type StoppedWebhook struct {
	WebhookID string    `db:"webhook_id"`
	UpdatedAt time.Time `db:"updated_at"`
}

// details collects field errors.
type details []ErrorDetail

func (d *details) add(field, msg string) { *d = append(*d, ErrorDetail{Field: field, Message: msg}) }

// id adds the id rule when id does not follow it.
func (d *details) id(field, id string) {
	if !ValidID(id) {
		d.add(field, IDRule)
	}
}

func (d *details) maxLen(field, v string, n int) {
	if len(v) > n {
		d.add(field, "must be at most "+strconv.Itoa(n)+" characters")
	}
}

// Invalid is the validation error of what ("the user", "the webhook") with the field errors d,
// nil when d is empty.
func Invalid(what string, d []ErrorDetail) error {
	if len(d) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: what + " is not valid", Details: d}
}
