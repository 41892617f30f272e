package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/secretbox"
	"github.com/herald-webhooks/herald/internal/signing"
)

// SetSecretBox sets the box that seals webhook secrets at rest. Call it once, before the store
// is used; without one, creating a webhook, rotating its secret and loading a delivery target
// fail.
func (s *Store) SetSecretBox(b *secretbox.Box) { s.box = b }

var errNoBox = errors.New("postgres: no secret key configured: webhook secrets cannot be sealed or opened")

// SecretHint is how a secret is shown after creation: its first 6 characters, then "****".
func SecretHint(secret string) string {
	if len(secret) <= 6 {
		return "****"
	}
	return secret[:6] + "****"
}

// webhookRow is a webhooks row as scanned; JSON columns arrive as bytes.
type webhookRow struct {
	ID                   string         `db:"id"`
	UserID               *string        `db:"user_id"`
	OrganizationID       *string        `db:"organization_id"`
	Name                 string         `db:"name"`
	Description          string         `db:"description"`
	URL                  string         `db:"url"`
	Events               pq.StringArray `db:"events"`
	Status               string         `db:"status"`
	DisabledReason       string         `db:"disabled_reason"`
	Headers              []byte         `db:"headers"` // sensitive values masked (plaintext in rows older than 0006)
	SensitiveHeaders     pq.StringArray `db:"sensitive_headers"`
	SealedHeaders        []byte         `db:"sealed_headers"` // the sensitive values, a sealed JSON object
	EventHeader          string         `db:"event_header"`
	TimeoutSeconds       int            `db:"timeout_seconds"`
	Format               string         `db:"format"`
	Retry                []byte         `db:"retry"`
	Signing              []byte         `db:"signing"`
	SecretPrefix         string         `db:"secret_prefix"`
	SecretHint           string         `db:"secret_hint"`
	DisableAfterFailures int            `db:"disable_after_failures"`
	DisableAfterSeconds  int            `db:"disable_after_seconds"`
	ConsecutiveFailures  int            `db:"consecutive_failures"`
	FailingSince         *time.Time     `db:"failing_since"`
	DisabledAt           *time.Time     `db:"disabled_at"`
	CreatedAt            time.Time      `db:"created_at"`
	UpdatedAt            time.Time      `db:"updated_at"`
}

const webhookColumns = `id, user_id, organization_id, name, description, url, events, status, disabled_reason,
	headers, sensitive_headers, sealed_headers, event_header, timeout_seconds, format, retry, signing, secret_prefix, secret_hint,
	disable_after_failures, disable_after_seconds, consecutive_failures, failing_since, disabled_at,
	created_at, updated_at`

// webhook converts the row. The webhook carries no secret: signing secrets are in
// webhook_secrets, sealed, and sensitive header values read masked (rows written before
// sealing existed hold them in plaintext; they are masked here all the same).
func (r *webhookRow) webhook() (*herald.Webhook, error) {
	w := &herald.Webhook{
		ID: r.ID, Name: r.Name, Description: r.Description, URL: r.URL, Events: []string(r.Events),
		SensitiveHeaders: []string(r.SensitiveHeaders), Status: herald.WebhookStatus(r.Status), DisabledReason: r.DisabledReason, EventHeader: r.EventHeader,
		TimeoutSeconds: r.TimeoutSeconds, Format: r.Format, SecretPrefix: r.SecretPrefix,
		SecretHint: r.SecretHint, DisableAfterFailures: r.DisableAfterFailures,
		DisableAfterSeconds: r.DisableAfterSeconds, ConsecutiveFailures: r.ConsecutiveFailures,
		FailingSince: r.FailingSince, DisabledAt: r.DisabledAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.UserID != nil {
		w.UserID = *r.UserID
	}
	if r.OrganizationID != nil {
		w.OrganizationID = *r.OrganizationID
	}
	if err := json.Unmarshal(r.Headers, &w.Headers); err != nil {
		return nil, fmt.Errorf("webhook %s headers: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.Retry, &w.Retry); err != nil {
		return nil, fmt.Errorf("webhook %s retry: %w", r.ID, err)
	}
	if len(r.Signing) > 0 {
		if err := json.Unmarshal(r.Signing, &w.Signing); err != nil {
			return nil, fmt.Errorf("webhook %s signing: %w", r.ID, err)
		}
	}
	if w.Signing.Scheme == "" {
		w.Signing.Scheme = herald.SchemeStandard
	}
	if w.Events == nil {
		w.Events = []string{}
	}
	if w.Headers == nil {
		w.Headers = map[string]string{}
	}
	if w.SensitiveHeaders == nil {
		w.SensitiveHeaders = []string{}
	}
	w.Headers = maskHeaders(w.Headers, w.SensitiveHeaders)
	return w, nil
}

// SensitiveHeader reports whether a custom header's value is sealed at rest and masked on
// read: a credential name (signing.CredentialHeader) or one of marked, in any case.
func SensitiveHeader(name string, marked []string) bool {
	if signing.CredentialHeader(name) {
		return true
	}
	for _, m := range marked {
		if strings.EqualFold(m, name) {
			return true
		}
	}
	return false
}

// maskHeaders returns h with the values of its sensitive headers replaced by the mask.
func maskHeaders(h map[string]string, marked []string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if SensitiveHeader(k, marked) {
			v = herald.MaskedHeaderValue
		}
		out[k] = v
	}
	return out
}

// headersContext binds a webhook's sealed headers to it, apart from its signing secrets.
func headersContext(webhookID string) string { return "headers:" + webhookID }

// openHeaders returns a webhook's custom headers with their real values: the sealed ones
// opened over the stored ones (which, in rows older than sealing, are the plaintext).
func (s *Store) openHeaders(webhookID string, stored, sealed []byte) (map[string]string, error) {
	h := map[string]string{}
	if len(stored) > 0 {
		if err := json.Unmarshal(stored, &h); err != nil {
			return nil, fmt.Errorf("webhook %s headers: %w", webhookID, err)
		}
	}
	if len(sealed) == 0 {
		return h, nil
	}
	if s.box == nil {
		return nil, errNoBox
	}
	pt, err := s.box.Open(sealed, headersContext(webhookID))
	if err != nil {
		return nil, fmt.Errorf("webhook %s headers (is HERALD_SECRET_KEY the key they were sealed with?): %w", webhookID, err)
	}
	var real map[string]string
	if err := json.Unmarshal(pt, &real); err != nil {
		return nil, fmt.Errorf("webhook %s sealed headers: %w", webhookID, err)
	}
	for k, v := range real {
		h[k] = v
	}
	return h, nil
}

// sealHeaders splits w's custom headers for storage: the JSON of the headers with sensitive
// values masked, and those values sealed (nil when there are none). A sensitive header whose
// value is the mask keeps its real value from previous (the headers as they were, real
// values, and their marks), so that a client sending back what it read changes nothing.
func (s *Store) sealHeaders(w *herald.Webhook, previous map[string]string, previousMarked []string) (stored, sealed []byte, err error) {
	plain, secret := map[string]string{}, map[string]string{}
	for k, v := range w.Headers {
		if real, ok := previous[k]; ok && v == herald.MaskedHeaderValue && SensitiveHeader(k, previousMarked) {
			v = real
		}
		if SensitiveHeader(k, w.SensitiveHeaders) {
			secret[k], v = v, herald.MaskedHeaderValue
		}
		plain[k] = v
	}
	if stored, err = json.Marshal(plain); err != nil {
		return nil, nil, err
	}
	if len(secret) == 0 {
		return stored, nil, nil
	}
	if s.box == nil {
		return nil, nil, errNoBox
	}
	pt, err := json.Marshal(secret)
	if err != nil {
		return nil, nil, err
	}
	return stored, s.box.Seal(pt, headersContext(w.ID)), nil
}

// markedHeaders is a webhook's sensitive header list as stored: never NULL.
func markedHeaders(w *herald.Webhook) pq.StringArray {
	if w.SensitiveHeaders == nil {
		return pq.StringArray{}
	}
	return pq.StringArray(w.SensitiveHeaders)
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// webhookJSON is a webhook's retry and signing columns, encoded (headers: sealHeaders).
func webhookJSON(w *herald.Webhook) (retry, sign []byte, err error) {
	if retry, err = json.Marshal(w.Retry); err != nil {
		return nil, nil, err
	}
	sg := w.Signing
	if sg.Scheme == "" {
		sg.Scheme = herald.SchemeStandard
	}
	if sign, err = json.Marshal(sg); err != nil {
		return nil, nil, err
	}
	return retry, sign, nil
}

const insertWebhookSQL = `
INSERT INTO webhooks (id, user_id, organization_id, name, description, url, events, status, headers,
	event_header, timeout_seconds, format, retry, signing, secret_prefix, secret_hint, disable_after_failures,
	disable_after_seconds, sensitive_headers, sealed_headers)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
RETURNING created_at, updated_at`

const insertSecretSQL = `INSERT INTO webhook_secrets (webhook_id, sealed) VALUES ($1, $2)`

// CreateWebhook inserts a webhook with its ID set and its plaintext signing secret: the secret
// is sealed into webhook_secrets, so are sensitive header values; the hint and the timestamps
// are filled in and w's headers are masked as every later read shows them.
func (s *Store) CreateWebhook(ctx context.Context, w *herald.Webhook, secret string) error {
	if s.box == nil {
		return errNoBox
	}
	retry, sign, err := webhookJSON(w)
	if err != nil {
		return err
	}
	headers, sealedHeaders, err := s.sealHeaders(w, nil, nil)
	if err != nil {
		return err
	}
	w.SecretHint = SecretHint(secret)
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("insert webhook: %w", err)
	}
	defer tx.Rollback()
	err = tx.QueryRowxContext(ctx, insertWebhookSQL, w.ID, nullString(w.UserID), nullString(w.OrganizationID),
		w.Name, w.Description, w.URL, pq.StringArray(w.Events), w.Status, headers, w.EventHeader,
		w.TimeoutSeconds, w.Format, retry, sign, w.SecretPrefix, w.SecretHint, w.DisableAfterFailures,
		w.DisableAfterSeconds, markedHeaders(w), sealedHeaders,
	).Scan(&w.CreatedAt, &w.UpdatedAt)
	if err != nil {
		if isForeignKeyViolation(err) {
			return herald.Errorf(herald.ENotFound, "owner not found")
		}
		return fmt.Errorf("insert webhook: %w", err)
	}
	if _, err := tx.ExecContext(ctx, insertSecretSQL, w.ID, s.box.Seal([]byte(secret), w.ID)); err != nil {
		return fmt.Errorf("insert webhook secret: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("insert webhook: %w", err)
	}
	w.SensitiveHeaders = []string(markedHeaders(w))
	w.Headers = maskHeaders(w.Headers, w.SensitiveHeaders)
	return nil
}

const updateWebhookSQL = `
UPDATE webhooks SET name = $2, description = $3, url = $4, events = $5, headers = $6, event_header = $7,
	timeout_seconds = $8, format = $9, retry = $10, signing = $11, secret_prefix = $12, disable_after_failures = $13,
	disable_after_seconds = $16,
	status = CASE WHEN $14 THEN $15 ELSE status END,
	disabled_reason = CASE WHEN $14 THEN '' ELSE disabled_reason END,
	disabled_at = CASE WHEN $14 THEN NULL ELSE disabled_at END,
	consecutive_failures = CASE WHEN $14 AND $15 = 'active' THEN 0 ELSE consecutive_failures END,
	failing_since = CASE WHEN $14 AND $15 = 'active' THEN NULL ELSE failing_since END,
	sensitive_headers = $17, sealed_headers = $18, updated_at = now()
WHERE id = $1 AND deleted_at IS NULL
RETURNING ` + webhookColumns

// UpdateWebhook replaces a webhook's settings (not its owner, secret or creation time) with
// those of w and returns the stored webhook. Its status changes only with setStatus (to
// w.Status, clearing a disabled reason; activation also resets the failure counter), so a
// concurrent auto-disable is not undone by an edit. A sensitive header given the mask keeps
// its stored value (sealed, or plaintext in a row older than sealing, which is sealed now).
func (s *Store) UpdateWebhook(ctx context.Context, w *herald.Webhook, setStatus bool) (*herald.Webhook, error) {
	retry, sign, err := webhookJSON(w)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	defer tx.Rollback()
	var old webhookRow
	if err := tx.GetContext(ctx, &old, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1 AND deleted_at IS NULL
		FOR UPDATE`, w.ID); err != nil {
		return nil, notFound(err, "webhook")
	}
	previous, err := s.openHeaders(old.ID, old.Headers, old.SealedHeaders)
	if err != nil {
		return nil, err
	}
	headers, sealedHeaders, err := s.sealHeaders(w, previous, []string(old.SensitiveHeaders))
	if err != nil {
		return nil, err
	}
	var r webhookRow
	err = tx.GetContext(ctx, &r, updateWebhookSQL, w.ID, w.Name, w.Description, w.URL, pq.StringArray(w.Events),
		headers, w.EventHeader, w.TimeoutSeconds, w.Format, retry, sign, w.SecretPrefix, w.DisableAfterFailures,
		setStatus, w.Status, w.DisableAfterSeconds, markedHeaders(w), sealedHeaders)
	if err != nil {
		return nil, notFound(err, "webhook")
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	return r.webhook()
}

// ListWebhooks returns an owner's webhooks oldest first, at most limit, after the cursor (a webhook id).
func (s *Store) ListWebhooks(ctx context.Context, owner herald.Owner, after string, limit int) ([]*herald.Webhook, error) {
	col, id := "user_id", owner.UserID
	if owner.OrganizationID != "" {
		col, id = "organization_id", owner.OrganizationID
	}
	var rows []webhookRow
	q := `SELECT ` + webhookColumns + ` FROM webhooks WHERE ` + col + ` = $1 AND deleted_at IS NULL
		AND ($2 = '' OR (created_at, id) > (SELECT created_at, id FROM webhooks WHERE id = $2))
		ORDER BY created_at, id LIMIT $3`
	if err := s.db.SelectContext(ctx, &rows, q, id, after, limit); err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return webhooks(rows)
}

// webhooks converts scanned rows.
func webhooks(rows []webhookRow) ([]*herald.Webhook, error) {
	out := make([]*herald.Webhook, 0, len(rows))
	for i := range rows {
		w, err := rows[i].webhook()
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// Webhook reads one webhook that is not deleted, without its secret.
func (s *Store) Webhook(ctx context.Context, id string) (*herald.Webhook, error) {
	var r webhookRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1 AND deleted_at IS NULL`, id); err != nil {
		return nil, notFound(err, "webhook")
	}
	return r.webhook()
}

// SetWebhookStatus sets a webhook active or inactive and returns it with the webhook as it was
// before (for what an activation recovers). Both clear a disabled reason and time; activation
// also resets the failure streak, so a webhook disabled for failures starts over.
func (s *Store) SetWebhookStatus(ctx context.Context, id string, status herald.WebhookStatus) (now, before *herald.Webhook, err error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("set webhook status: %w", err)
	}
	defer tx.Rollback()
	var old, r webhookRow
	if err := tx.GetContext(ctx, &old, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1 AND deleted_at IS NULL
		FOR UPDATE`, id); err != nil {
		return nil, nil, notFound(err, "webhook")
	}
	if err := tx.GetContext(ctx, &r, `UPDATE webhooks SET status = $2, disabled_reason = '', disabled_at = NULL,
		consecutive_failures = CASE WHEN $2 = 'active' THEN 0 ELSE consecutive_failures END,
		failing_since = CASE WHEN $2 = 'active' THEN NULL ELSE failing_since END, updated_at = now()
		WHERE id = $1 RETURNING `+webhookColumns, id, status); err != nil {
		return nil, nil, fmt.Errorf("set webhook status: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("set webhook status: %w", err)
	}
	if before, err = old.webhook(); err != nil {
		return nil, nil, err
	}
	now, err = r.webhook()
	return now, before, err
}

// DeleteWebhook soft-deletes a webhook: it disappears from reads and fan-out, its pending
// deliveries become cancelled (returned, so their workflows can be cancelled too), its secrets
// are erased, and its delivery log stays readable.
func (s *Store) DeleteWebhook(ctx context.Context, id string) ([]herald.CancelledDelivery, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("delete webhook: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE webhooks SET deleted_at = now(), updated_at = now()
		WHERE id = $1 AND deleted_at IS NULL`, id)
	if err != nil {
		return nil, fmt.Errorf("delete webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, herald.Errorf(herald.ENotFound, "webhook not found")
	}
	out := []herald.CancelledDelivery{}
	if err := sqlx.SelectContext(ctx, tx, &out, `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL,
		updated_at = now() WHERE webhook_id = $1 AND status = 'pending' RETURNING id, event_id, updated_at`, id); err != nil {
		return nil, fmt.Errorf("cancel deliveries: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_secrets WHERE webhook_id = $1`, id); err != nil {
		return nil, fmt.Errorf("erase secrets: %w", err)
	}
	return out, tx.Commit()
}

// RotateSecret makes secret the webhook's current secret. The previous ones keep signing for
// grace (0: they stop at once); secrets whose grace is over are erased. It returns the webhook
// with its new hint.
func (s *Store) RotateSecret(ctx context.Context, id, secret string, grace time.Duration) (*herald.Webhook, error) {
	if s.box == nil {
		return nil, errNoBox
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("rotate secret: %w", err)
	}
	defer tx.Rollback()
	var r webhookRow
	if err := tx.GetContext(ctx, &r, `UPDATE webhooks SET secret_hint = $2, updated_at = now()
		WHERE id = $1 AND deleted_at IS NULL RETURNING `+webhookColumns, id, SecretHint(secret)); err != nil {
		return nil, notFound(err, "webhook")
	}
	// The row lock taken above serializes rotations of one webhook.
	if grace <= 0 {
		_, err = tx.ExecContext(ctx, `DELETE FROM webhook_secrets WHERE webhook_id = $1`, id)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE webhook_secrets SET expires_at = now() + make_interval(secs => $2)
			WHERE webhook_id = $1 AND (expires_at IS NULL OR expires_at > now() + make_interval(secs => $2))`,
			id, grace.Seconds())
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM webhook_secrets WHERE webhook_id = $1 AND expires_at <= now()`, id)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("retire old secrets: %w", err)
	}
	if _, err := tx.ExecContext(ctx, insertSecretSQL, id, s.box.Seal([]byte(secret), id)); err != nil {
		return nil, fmt.Errorf("insert webhook secret: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("rotate secret: %w", err)
	}
	return r.webhook()
}

// webhookSecrets opens the secrets of a webhook that sign now, newest first.
func (s *Store) webhookSecrets(ctx context.Context, webhookID string) ([]string, error) {
	if s.box == nil {
		return nil, errNoBox
	}
	var sealed [][]byte
	if err := s.db.SelectContext(ctx, &sealed, `SELECT sealed FROM webhook_secrets
		WHERE webhook_id = $1 AND (expires_at IS NULL OR expires_at > now())
		ORDER BY created_at DESC, id DESC`, webhookID); err != nil {
		return nil, fmt.Errorf("read webhook secrets: %w", err)
	}
	out := make([]string, 0, len(sealed))
	for _, b := range sealed {
		pt, err := s.box.Open(b, webhookID)
		if err != nil {
			return nil, fmt.Errorf("webhook %s secret (is HERALD_SECRET_KEY the key it was sealed with?): %w", webhookID, err)
		}
		out = append(out, string(pt))
	}
	return out, nil
}
