package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/herald-webhooks/herald"
)

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
	Headers              []byte         `db:"headers"`
	EventHeader          string         `db:"event_header"`
	TimeoutSeconds       int            `db:"timeout_seconds"`
	Format               string         `db:"format"`
	Retry                []byte         `db:"retry"`
	SecretPrefix         string         `db:"secret_prefix"`
	Secret               string         `db:"secret"`
	SecretHint           string         `db:"secret_hint"`
	DisableAfterFailures int            `db:"disable_after_failures"`
	ConsecutiveFailures  int            `db:"consecutive_failures"`
	CreatedAt            time.Time      `db:"created_at"`
	UpdatedAt            time.Time      `db:"updated_at"`
}

const webhookColumns = `id, user_id, organization_id, name, description, url, events, status, disabled_reason,
	headers, event_header, timeout_seconds, format, retry, secret_prefix, secret, secret_hint,
	disable_after_failures, consecutive_failures, created_at, updated_at`

// webhook converts the row; the secret is only copied when withSecret is set.
func (r *webhookRow) webhook(withSecret bool) (*herald.Webhook, error) {
	w := &herald.Webhook{
		ID: r.ID, Name: r.Name, Description: r.Description, URL: r.URL, Events: []string(r.Events),
		Status: r.Status, DisabledReason: r.DisabledReason, EventHeader: r.EventHeader,
		TimeoutSeconds: r.TimeoutSeconds, Format: r.Format, SecretPrefix: r.SecretPrefix,
		SecretHint: r.SecretHint, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.UserID != nil {
		w.UserID = *r.UserID
	}
	if r.OrganizationID != nil {
		w.OrganizationID = *r.OrganizationID
	}
	if withSecret {
		w.Secret = r.Secret
	}
	if err := json.Unmarshal(r.Headers, &w.Headers); err != nil {
		return nil, fmt.Errorf("webhook %s headers: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.Retry, &w.Retry); err != nil {
		return nil, fmt.Errorf("webhook %s retry: %w", r.ID, err)
	}
	if w.Events == nil {
		w.Events = []string{}
	}
	return w, nil
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

const insertWebhookSQL = `
INSERT INTO webhooks (id, user_id, organization_id, name, description, url, events, status, headers,
	event_header, timeout_seconds, format, retry, secret_prefix, secret, secret_hint)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
RETURNING created_at, updated_at`

// CreateWebhook inserts a webhook (with its ID and secret already set) and fills in its timestamps.
func (s *Store) CreateWebhook(ctx context.Context, w *herald.Webhook) error {
	headers, err := json.Marshal(w.Headers)
	if err != nil {
		return err
	}
	retry, err := json.Marshal(w.Retry)
	if err != nil {
		return err
	}
	err = s.db.QueryRowxContext(ctx, insertWebhookSQL, w.ID, nullString(w.UserID), nullString(w.OrganizationID),
		w.Name, w.Description, w.URL, pq.StringArray(w.Events), w.Status, headers, w.EventHeader,
		w.TimeoutSeconds, w.Format, retry, w.SecretPrefix, w.Secret, w.SecretHint).Scan(&w.CreatedAt, &w.UpdatedAt)
	if err != nil {
		if isForeignKeyViolation(err) {
			return herald.Errorf(herald.ENotFound, "owner not found")
		}
		return fmt.Errorf("insert webhook: %w", err)
	}
	return nil
}

// Owner selects a webhook owner: exactly one of the two is set.
type Owner struct {
	UserID         string
	OrganizationID string
}

// ListWebhooks returns an owner's webhooks oldest first, at most limit, after the cursor (a webhook id).
func (s *Store) ListWebhooks(ctx context.Context, owner Owner, after string, limit int) ([]*herald.Webhook, error) {
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

// webhooks converts scanned rows, without secrets.
func webhooks(rows []webhookRow) ([]*herald.Webhook, error) {
	out := make([]*herald.Webhook, 0, len(rows))
	for i := range rows {
		w, err := rows[i].webhook(false)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// Webhook reads one webhook without its secret.
func (s *Store) Webhook(ctx context.Context, id string) (*herald.Webhook, error) {
	var r webhookRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1 AND deleted_at IS NULL`, id); err != nil {
		return nil, notFound(err, "webhook")
	}
	return r.webhook(false)
}
