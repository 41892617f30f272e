package postgres

import (
	"context"
	"fmt"
	"github.com/herald-webhooks/herald"
	"time"

	"github.com/lib/pq"
)

// disableSQL disables an active webhook ($3: always; otherwise only when its auto-disable rule
// holds: at least disable_after_failures consecutive failed attempts, and no success for
// disable_after_seconds) and holds its pending deliveries but $4, in one statement. It returns the
// held deliveries and, in each row, whether it disabled; no row when it did not.
const disableSQL = `
WITH hook AS (
	UPDATE webhooks SET status = 'disabled', disabled_at = now(), updated_at = now(),
		disabled_reason = CASE WHEN $3 THEN $2 ELSE
			'no successful attempt since ' || to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') ||
			' (' || consecutive_failures || ' consecutive failed attempts)' END
	WHERE id = $1 AND status = 'active' AND deleted_at IS NULL AND ($3 OR (
		disable_after_failures > 0 AND consecutive_failures >= disable_after_failures AND failing_since IS NOT NULL
		AND (disable_after_seconds = 0 OR failing_since <= now() - make_interval(secs => disable_after_seconds))))
	RETURNING id
), held AS (
	UPDATE deliveries d SET status = 'held', next_attempt_at = NULL, updated_at = now()
	FROM hook WHERE d.webhook_id = hook.id AND d.status = 'pending' AND d.id <> $4
	RETURNING d.id, d.event_id, d.updated_at
)
SELECT hook.id AS webhook_id, held.id, held.event_id, held.updated_at FROM hook LEFT JOIN held ON true`

// DisableIfFailing disables the webhook when its auto-disable rule holds (see disableSQL) and
// holds its other pending deliveries. The delivery whose failed attempt disabled it
// (exceptDelivery) ends failed, as its workflow records; every other delivery the disable
// stops ends held, and a replay of held and failed deliveries recovers them all. disabled
// reports whether this call disabled it; held lists the deliveries it held, whose workflows
// may still be waiting for a retry.
func (s *Store) DisableIfFailing(ctx context.Context, webhookID, exceptDelivery string) (disabled bool, held []herald.DeliveryRef, err error) {
	return s.disable(ctx, webhookID, exceptDelivery, "", false)
}

// DisableWebhook disables an active webhook with a reason (e.g. the endpoint answered 410 Gone)
// and holds its other pending deliveries.
func (s *Store) DisableWebhook(ctx context.Context, webhookID, exceptDelivery, reason string) (disabled bool, held []herald.DeliveryRef, err error) {
	return s.disable(ctx, webhookID, exceptDelivery, reason, true)
}

func (s *Store) disable(ctx context.Context, webhookID, exceptDelivery, reason string, always bool) (bool, []herald.DeliveryRef, error) {
	var rows []struct {
		WebhookID string     `db:"webhook_id"`
		ID        *string    `db:"id"`
		EventID   *string    `db:"event_id"`
		UpdatedAt *time.Time `db:"updated_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, disableSQL, webhookID, reason, always, exceptDelivery); err != nil {
		return false, nil, fmt.Errorf("disable webhook: %w", err)
	}
	held := []herald.DeliveryRef{}
	for _, r := range rows {
		if r.ID != nil {
			held = append(held, herald.DeliveryRef{ID: *r.ID, EventID: *r.EventID, UpdatedAt: *r.UpdatedAt})
		}
	}
	return len(rows) > 0, held, nil
}

// FinishManual sets the status of a delivery after a failed manual run: failed, unless an
// earlier attempt already delivered it.
func (s *Store) FinishManual(ctx context.Context, deliveryID string) error {
	_, err := s.db.ExecContext(ctx, `WITH interrupted AS (`+interruptSQL+`)
		UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = now()
		WHERE id = $1 AND status <> 'succeeded'`, deliveryID)
	if err != nil {
		return fmt.Errorf("finish delivery: %w", err)
	}
	return nil
}

// CreateReplay records a replay request.
func (s *Store) CreateReplay(ctx context.Context, r *herald.Replay) error {
	return s.db.GetContext(ctx, &r.CreatedAt, `INSERT INTO replays (id, webhook_id, since, until, statuses)
		VALUES ($1, $2, $3, $4, $5) RETURNING created_at`, r.ID, r.WebhookID, r.Since, r.Until, statusArray(r.Statuses))
}

// statusArray is a list of delivery statuses as a PostgreSQL text array.
func statusArray(statuses []herald.DeliveryStatus) pq.StringArray {
	a := make(pq.StringArray, len(statuses))
	for i, st := range statuses {
		a[i] = string(st)
	}
	return a
}

// Replay reads a replay request.
func (s *Store) Replay(ctx context.Context, id string) (*herald.Replay, error) {
	var row struct {
		ID        string         `db:"id"`
		WebhookID string         `db:"webhook_id"`
		Since     *time.Time     `db:"since"`
		Until     *time.Time     `db:"until"`
		Statuses  pq.StringArray `db:"statuses"`
		CreatedAt time.Time      `db:"created_at"`
	}
	if err := s.db.GetContext(ctx, &row, `SELECT id, webhook_id, since, until, statuses, created_at FROM replays
		WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "replay")
	}
	r := &herald.Replay{ID: row.ID, WebhookID: row.WebhookID, Since: row.Since, Until: row.Until, CreatedAt: row.CreatedAt,
		Statuses: make([]herald.DeliveryStatus, len(row.Statuses))}
	for i, st := range row.Statuses {
		r.Statuses[i] = herald.DeliveryStatus(st)
	}
	return r, nil
}

// ReplayPage lists, oldest first and after the cursor delivery id, the deliveries a replay
// covers: the webhook's deliveries created in [since, until) whose status is one of statuses.
func (s *Store) ReplayPage(ctx context.Context, r *herald.Replay, after string, limit int) ([]herald.DeliveryRef, error) {
	out := []herald.DeliveryRef{}
	err := s.db.SelectContext(ctx, &out, `SELECT d.id, d.event_id, e.type AS event_type FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.webhook_id = $1 AND d.status = ANY($2) AND d.created_at < $6 AND NOT d.test
		  AND ($3::timestamptz IS NULL OR d.created_at >= $3) AND ($4::timestamptz IS NULL OR d.created_at < $4)
		  AND ($5 = '' OR (d.created_at, d.id) > (SELECT created_at, id FROM deliveries WHERE id = $5))
		ORDER BY d.created_at, d.id LIMIT $7`, r.WebhookID, statusArray(r.Statuses), r.Since, r.Until, after, r.CreatedAt, limit)
	if err != nil {
		return nil, fmt.Errorf("list replay deliveries: %w", err)
	}
	return out, nil
}

// HeldDeliveries counts a webhook's held deliveries (what a disable stopped or kept from it)
// and says when the oldest of them was created (nil when none).
func (s *Store) HeldDeliveries(ctx context.Context, webhookID string) (n int, oldest *time.Time, err error) {
	var row struct {
		N      int        `db:"n"`
		Oldest *time.Time `db:"oldest"`
	}
	if err := s.db.GetContext(ctx, &row, `SELECT count(*) AS n, min(created_at) AS oldest FROM deliveries
		WHERE webhook_id = $1 AND status = 'held'`, webhookID); err != nil {
		return 0, nil, fmt.Errorf("count held deliveries: %w", err)
	}
	return row.N, row.Oldest, nil
}

// StoppedDeliveries pages, by id after the cursor, through the webhook's deliveries in status
// (cancelled or held) that a change at or after at stopped: the deliveries whose workflows a
// cancel-deliveries workflow cancels. Rows a later change stopped again are included, which is
// harmless: cancelling a workflow twice, or a closed one, does nothing.
func (s *Store) StoppedDeliveries(ctx context.Context, webhookID string, status herald.DeliveryStatus, at time.Time, after string, limit int) ([]herald.DeliveryRef, error) {
	out := []herald.DeliveryRef{}
	if err := s.db.SelectContext(ctx, &out, `SELECT id, event_id, updated_at FROM deliveries
		WHERE webhook_id = $1 AND status = $2 AND updated_at >= $3 AND id > $4 ORDER BY id LIMIT $5`,
		webhookID, status, at, after, limit); err != nil {
		return nil, fmt.Errorf("stopped deliveries: %w", err)
	}
	return out, nil
}
