package postgres

import (
	"context"
	"fmt"
	"github.com/herald-webhooks/herald"
	"time"
)

// webhookStatsSQL is one statement over three aggregates; test sends are left out. Attempts are found through the
// deliveries updated since the window's start: recording an attempt updates its delivery, so no
// attempt within the window is missed, and deliveries_webhook_updated_idx keeps it narrow.
const webhookStatsSQL = `
SELECT dc.*, ac.*, last.* FROM
  (SELECT count(*) AS deliveries_total,
          count(*) FILTER (WHERE status = 'succeeded') AS deliveries_succeeded,
          count(*) FILTER (WHERE status = 'failed') AS deliveries_failed,
          count(*) FILTER (WHERE status = 'pending') AS deliveries_pending,
          count(*) FILTER (WHERE status = 'cancelled') AS deliveries_cancelled
     FROM deliveries WHERE webhook_id = $1 AND created_at >= $2 AND NOT test) dc,
  (SELECT count(*) AS attempts_total,
          count(*) FILTER (WHERE a.status_code BETWEEN 200 AND 299) AS attempts_succeeded,
          count(*) FILTER (WHERE a.status_code IS NULL OR a.status_code NOT BETWEEN 200 AND 299) AS attempts_failed
     FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
    WHERE d.webhook_id = $1 AND d.updated_at >= $2 AND a.started_at >= $2 AND NOT d.test) ac,
  (SELECT max(a.started_at) FILTER (WHERE a.status_code BETWEEN 200 AND 299) AS last_success_at,
          max(a.started_at) FILTER (WHERE a.status_code IS NULL OR a.status_code NOT BETWEEN 200 AND 299) AS last_failure_at
     FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
    WHERE d.webhook_id = $1 AND NOT d.test) last`

// WebhookStats counts the webhook's deliveries created and attempts started since the given
// time, and finds its latest successful and failed attempts.
func (s *Store) WebhookStats(ctx context.Context, webhookID string, since time.Time) (*herald.WebhookStats, error) {
	var row struct {
		herald.DeliveryCounts
		herald.AttemptCounts
		LastSuccessAt *time.Time `db:"last_success_at"`
		LastFailureAt *time.Time `db:"last_failure_at"`
	}
	if err := s.db.GetContext(ctx, &row, webhookStatsSQL, webhookID, since); err != nil {
		return nil, fmt.Errorf("webhook stats: %w", err)
	}
	return &herald.WebhookStats{Deliveries: row.DeliveryCounts, Attempts: row.AttemptCounts,
		LastSuccessAt: row.LastSuccessAt, LastFailureAt: row.LastFailureAt}, nil
}
