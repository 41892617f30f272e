package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/herald-webhooks/herald"
)

// DeliveryRef names a delivery and the event it carries (enough to find its workflow).
type DeliveryRef struct {
	ID        string `db:"id"`
	EventID   string `db:"event_id"`
	EventType string `db:"event_type"`
}

// disableSQL disables an active webhook and cancels its pending deliveries in one statement;
// it returns the cancelled deliveries (none when the webhook was not active or not failing).
const disableSQL = `
WITH hook AS (
	UPDATE webhooks SET status = 'disabled', disabled_reason = $2, updated_at = now()
	WHERE id = $1 AND status = 'active' AND deleted_at IS NULL AND ($3 OR
		(disable_after_failures > 0 AND consecutive_failures >= disable_after_failures))
	RETURNING id
)
UPDATE deliveries d SET status = 'cancelled', next_attempt_at = NULL, updated_at = now()
FROM hook WHERE d.webhook_id = hook.id AND d.status = 'pending' AND d.id <> $4
RETURNING d.id, d.event_id, '' AS event_type`

// DisableIfFailing disables the webhook when its consecutive failures reached its limit, and
// cancels its other pending deliveries. disabled reports whether this call disabled it.
func (s *Store) DisableIfFailing(ctx context.Context, webhookID, exceptDelivery string) (disabled bool, cancelled []DeliveryRef, err error) {
	var w struct {
		Failures int `db:"consecutive_failures"`
		Limit    int `db:"disable_after_failures"`
	}
	if err := s.db.GetContext(ctx, &w, `SELECT consecutive_failures, disable_after_failures FROM webhooks
		WHERE id = $1`, webhookID); err != nil {
		return false, nil, notFound(err, "webhook")
	}
	if w.Limit <= 0 || w.Failures < w.Limit {
		return false, nil, nil
	}
	reason := fmt.Sprintf("disabled after %d consecutive failed attempts", w.Failures)
	return s.disable(ctx, webhookID, exceptDelivery, reason, false)
}

// DisableWebhook disables an active webhook with a reason (e.g. the endpoint answered 410 Gone)
// and cancels its pending deliveries.
func (s *Store) DisableWebhook(ctx context.Context, webhookID, exceptDelivery, reason string) (disabled bool, cancelled []DeliveryRef, err error) {
	return s.disable(ctx, webhookID, exceptDelivery, reason, true)
}

// disable cancels the webhook's pending deliveries but exceptDelivery (the one whose failure
// disables it, which ends failed).
func (s *Store) disable(ctx context.Context, webhookID, exceptDelivery, reason string, always bool) (bool, []DeliveryRef, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, nil, fmt.Errorf("disable webhook: %w", err)
	}
	defer tx.Rollback()
	var active bool
	if err := tx.GetContext(ctx, &active, `SELECT status = 'active' AND deleted_at IS NULL FROM webhooks
		WHERE id = $1 FOR UPDATE`, webhookID); err != nil {
		return false, nil, notFound(err, "webhook")
	}
	if !active {
		return false, nil, nil
	}
	refs := []DeliveryRef{}
	if err := tx.SelectContext(ctx, &refs, disableSQL, webhookID, reason, always, exceptDelivery); err != nil {
		return false, nil, fmt.Errorf("disable webhook: %w", err)
	}
	var status string
	if err := tx.GetContext(ctx, &status, `SELECT status FROM webhooks WHERE id = $1`, webhookID); err != nil {
		return false, nil, fmt.Errorf("disable webhook: %w", err)
	}
	return status == herald.WebhookDisabled, refs, tx.Commit()
}

// FinishManual sets the status of a delivery after a failed manual run: failed, unless an
// earlier attempt already delivered it.
func (s *Store) FinishManual(ctx context.Context, deliveryID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = now()
		WHERE id = $1 AND status <> 'succeeded'`, deliveryID)
	if err != nil {
		return fmt.Errorf("finish delivery: %w", err)
	}
	return nil
}

// Replay is a bulk re-delivery request.
type Replay struct {
	ID        string         `db:"id"`
	WebhookID string         `db:"webhook_id"`
	Since     *time.Time     `db:"since"`
	Until     *time.Time     `db:"until"`
	Statuses  pq.StringArray `db:"statuses"`
	CreatedAt time.Time      `db:"created_at"`
}

// CreateReplay records a replay request.
func (s *Store) CreateReplay(ctx context.Context, r *Replay) error {
	return s.db.GetContext(ctx, &r.CreatedAt, `INSERT INTO replays (id, webhook_id, since, until, statuses)
		VALUES ($1, $2, $3, $4, $5) RETURNING created_at`, r.ID, r.WebhookID, r.Since, r.Until, r.Statuses)
}

// Replay reads a replay request.
func (s *Store) Replay(ctx context.Context, id string) (*Replay, error) {
	var r Replay
	if err := s.db.GetContext(ctx, &r, `SELECT id, webhook_id, since, until, statuses, created_at FROM replays
		WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "replay")
	}
	return &r, nil
}

// ReplayPage lists, oldest first and after the cursor delivery id, the deliveries a replay
// covers: the webhook's deliveries created in [since, until) whose status is one of statuses.
func (s *Store) ReplayPage(ctx context.Context, r *Replay, after string, limit int) ([]DeliveryRef, error) {
	out := []DeliveryRef{}
	err := s.db.SelectContext(ctx, &out, `SELECT d.id, d.event_id, e.type AS event_type FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.webhook_id = $1 AND d.status = ANY($2) AND d.created_at < $6 AND NOT d.test
		  AND ($3::timestamptz IS NULL OR d.created_at >= $3) AND ($4::timestamptz IS NULL OR d.created_at < $4)
		  AND ($5 = '' OR (d.created_at, d.id) > (SELECT created_at, id FROM deliveries WHERE id = $5))
		ORDER BY d.created_at, d.id LIMIT $7`, r.WebhookID, r.Statuses, r.Since, r.Until, after, r.CreatedAt, limit)
	if err != nil {
		return nil, fmt.Errorf("list replay deliveries: %w", err)
	}
	return out, nil
}
