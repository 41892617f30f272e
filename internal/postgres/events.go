package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/herald-webhooks/herald"
)

const insertEventSQL = `
INSERT INTO events (id, type, timestamp, user_id, organization_id, data, request_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (id) DO NOTHING`

const eventColumns = `id, type, timestamp, user_id, organization_id, data, created_at`

// InsertEvent stores an event once. Publishing the same id again with the same request hash
// returns the stored event and created=false; with a different hash it is a conflict.
func (s *Store) InsertEvent(ctx context.Context, ev *herald.Event, requestHash []byte) (stored *herald.Event, created bool, err error) {
	res, err := s.db.ExecContext(ctx, insertEventSQL, ev.ID, ev.Type, ev.Timestamp, ev.UserID, ev.OrganizationID,
		string(ev.Data), requestHash)
	if err != nil {
		return nil, false, fmt.Errorf("insert event: %w", err)
	}
	n, _ := res.RowsAffected()
	var row struct {
		herald.Event
		RequestHash []byte `db:"request_hash"`
	}
	if err := s.db.GetContext(ctx, &row, `SELECT `+eventColumns+`, request_hash FROM events WHERE id = $1`, ev.ID); err != nil {
		return nil, false, fmt.Errorf("read event: %w", err)
	}
	if n == 0 && !bytes.Equal(row.RequestHash, requestHash) {
		return nil, false, herald.Errorf(herald.EConflict, "event %s was already published with a different body", ev.ID)
	}
	return &row.Event, n == 1, nil
}

// Event reads one event.
func (s *Store) Event(ctx context.Context, id string) (*herald.Event, error) {
	var ev herald.Event
	if err := s.db.GetContext(ctx, &ev, `SELECT `+eventColumns+` FROM events WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "event")
	}
	return &ev, nil
}

// matchingWebhooksSQL is SPEC section 5: an event for a user goes to the user's personal
// webhooks and to the webhooks of every organization the user belongs to (or, when the event
// names an organization, to that organization's only); an event for an organization goes to
// that organization's webhooks. A webhook matches when it lists the type or "*". Disabled
// webhooks match too: their deliveries are recorded held, so that nothing is lost to a disable.
const matchingWebhooksSQL = `
SELECT ` + webhookColumns + ` FROM webhooks w
WHERE w.status IN ('active', 'disabled') AND w.deleted_at IS NULL
  AND (w.events @> ARRAY[$1]::text[] OR w.events @> ARRAY['*']::text[])
  AND (
        ($2 <> '' AND w.user_id = $2)
     OR ($3 <> '' AND w.organization_id = $3)
     OR ($2 <> '' AND $3 = '' AND w.organization_id IN (SELECT organization_id FROM memberships WHERE user_id = $2))
  )
ORDER BY w.created_at, w.id`

// MatchingWebhooks returns the active and disabled webhooks that receive the event (without secrets).
func (s *Store) MatchingWebhooks(ctx context.Context, ev *herald.Event) ([]*herald.Webhook, error) {
	return s.MatchingWebhooksPage(ctx, ev, "", 0)
}

// matchingPageSQL is one page of matchingWebhooksSQL, in the same order, after the webhook
// named by $4 (from the start when empty), at most $5 rows (all when NULL).
const matchingPageSQL = `
SELECT m.* FROM (` + matchingWebhooksSQL + `) m
WHERE $4 = '' OR (m.created_at, m.id) > (SELECT created_at, id FROM webhooks WHERE id = $4)
ORDER BY m.created_at, m.id LIMIT $5`

// MatchingWebhooksPage returns at most limit (all when 0) of the webhooks that receive the
// event, those after the webhook id after in MatchingWebhooks' order: the event workflow
// resolves a large fan-out page by page.
func (s *Store) MatchingWebhooksPage(ctx context.Context, ev *herald.Event, after string, limit int) ([]*herald.Webhook, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	var rows []webhookRow
	if err := s.db.SelectContext(ctx, &rows, matchingPageSQL, ev.Type, ev.UserID, ev.OrganizationID, after, lim); err != nil {
		return nil, fmt.Errorf("match webhooks: %w", err)
	}
	return webhooks(rows)
}

// User reads one directory user.
func (s *Store) User(ctx context.Context, id string) (*herald.User, error) {
	var u herald.User
	if err := s.db.GetContext(ctx, &u, `SELECT id, email, name FROM users WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "user")
	}
	return &u, nil
}

const insertDeliverySQL = `
INSERT INTO deliveries (id, event_id, webhook_id, status, body, test)
VALUES ($1, $2, $3, CASE WHEN $6 THEN 'held' ELSE 'pending' END, $4, $5)
ON CONFLICT (event_id, webhook_id) DO NOTHING`

// CreateDeliveries inserts the deliveries that do not exist yet (one per event and webhook)
// and returns every delivery of the event, so a re-run of the fan-out finds the first ones.
func (s *Store) CreateDeliveries(ctx context.Context, eventID string, ds []herald.NewDelivery) ([]herald.Delivery, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("create deliveries: %w", err)
	}
	defer tx.Rollback()
	for _, d := range ds {
		if _, err := tx.ExecContext(ctx, insertDeliverySQL, d.ID, d.EventID, d.WebhookID, d.Body, d.Test, d.Held); err != nil {
			return nil, fmt.Errorf("insert delivery: %w", err)
		}
	}
	out, err := eventDeliveries(ctx, tx, eventID)
	if err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

const deliveryColumns = `d.id, d.event_id, e.type AS event_type, d.webhook_id, d.status, d.attempts,
	d.last_status_code, d.next_attempt_at, d.created_at, d.updated_at`

func eventDeliveries(ctx context.Context, q sqlx.QueryerContext, eventID string) ([]herald.Delivery, error) {
	out := []herald.Delivery{}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+deliveryColumns+` FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.event_id = $1 ORDER BY d.created_at, d.id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("list event deliveries: %w", err)
	}
	return out, nil
}

// EventDeliveries lists the deliveries of one event.
func (s *Store) EventDeliveries(ctx context.Context, eventID string) ([]herald.Delivery, error) {
	return eventDeliveries(ctx, s.db, eventID)
}

const targetSQL = `
SELECT d.id AS delivery_id, d.status AS delivery_status, e.id AS event_id, e.type AS event_type,
       e.timestamp AS event_timestamp, d.body, w.id AS webhook_id, w.status AS webhook_status,
       (w.deleted_at IS NOT NULL) AS webhook_deleted, w.url, w.headers, w.sealed_headers, w.sensitive_headers, w.event_header,
       w.timeout_seconds, w.signing
FROM deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
WHERE d.id = $1`

// DeliveryTarget loads what an attempt of the delivery needs, secrets included (during a
// rotation's grace period, the new and the old ones).
func (s *Store) DeliveryTarget(ctx context.Context, deliveryID string) (*herald.Target, error) {
	var r targetRow
	if err := s.db.GetContext(ctx, &r, targetSQL, deliveryID); err != nil {
		return nil, notFound(err, "delivery")
	}
	secrets, err := s.webhookSecrets(ctx, r.WebhookID)
	if err != nil {
		return nil, err
	}
	headers, err := s.openHeaders(r.WebhookID, r.Headers, r.SealedHeaders)
	if err != nil {
		return nil, err
	}
	t := &herald.Target{DeliveryID: r.DeliveryID, DeliveryStatus: r.DeliveryStatus, EventID: r.EventID,
		EventType: r.EventType, EventTimestamp: r.EventTimestamp, Body: r.Body, WebhookID: r.WebhookID,
		WebhookStatus: r.WebhookStatus, WebhookDeleted: r.WebhookDeleted, URL: r.URL,
		SensitiveHeaders: r.SensitiveHeaders, EventHeader: r.EventHeader, TimeoutSeconds: r.TimeoutSeconds,
		Secrets: secrets, Signing: r.Signing}
	if t.Headers, err = json.Marshal(headers); err != nil {
		return nil, err
	}
	return t, nil
}

// targetRow is a Target as targetSQL reads it, before its secrets and sealed headers are opened.
type targetRow struct {
	DeliveryID       string                `db:"delivery_id"`
	DeliveryStatus   herald.DeliveryStatus `db:"delivery_status"`
	EventID          string                `db:"event_id"`
	EventType        string                `db:"event_type"`
	EventTimestamp   time.Time             `db:"event_timestamp"`
	Body             []byte                `db:"body"`
	WebhookID        string                `db:"webhook_id"`
	WebhookStatus    herald.WebhookStatus  `db:"webhook_status"`
	WebhookDeleted   bool                  `db:"webhook_deleted"`
	URL              string                `db:"url"`
	Headers          []byte                `db:"headers"`
	SealedHeaders    []byte                `db:"sealed_headers"`
	SensitiveHeaders pq.StringArray        `db:"sensitive_headers"`
	EventHeader      string                `db:"event_header"`
	TimeoutSeconds   int                   `db:"timeout_seconds"`
	Signing          []byte                `db:"signing"`
}

// interruptSQL marks a delivery's in-flight attempts interrupted (a CTE of the statements that
// begin another attempt or finish the delivery: at that point their outcome will not come).
const interruptSQL = `UPDATE attempts SET error_kind = 'interrupted',
		error = 'the attempt was interrupted (its worker stopped) before its outcome was recorded; the endpoint may have received it'
	WHERE delivery_id = $1 AND error_kind = 'in_flight'`

// beginAttemptSQL numbers a new attempt after the delivery's previous ones and logs it as in
// flight, before its request is sent, in one statement.
const beginAttemptSQL = `
WITH d AS (
	UPDATE deliveries SET attempts = attempts + 1, updated_at = now() WHERE id = $1 RETURNING attempts
), interrupted AS (` + interruptSQL + `
), logged AS (
	INSERT INTO attempts (delivery_id, number, trigger, started_at, duration_ms, error_kind, request_headers)
	SELECT $1, d.attempts, $2::text, $3::timestamptz, 0, 'in_flight', $4::jsonb FROM d
)
SELECT attempts FROM d`

// BeginAttempt logs an attempt about to be sent, as in flight, and returns its number; pass
// the number in the AttemptRecord that completes it. So the log holds every request Herald may
// have made, even when the worker stops before the answer: a later attempt or the delivery's
// end shows such an attempt as interrupted.
func (s *Store) BeginAttempt(ctx context.Context, deliveryID string, trigger herald.Trigger, startedAt time.Time, requestHeaders []byte) (int, error) {
	if len(requestHeaders) == 0 {
		requestHeaders = []byte("{}")
	}
	var number int
	if err := s.db.QueryRowxContext(ctx, beginAttemptSQL, deliveryID, trigger, startedAt, requestHeaders).Scan(&number); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, notFound(err, "delivery")
		}
		return 0, fmt.Errorf("begin attempt: %w", err)
	}
	return number, nil
}

// completeAttemptSQL is recordAttemptSQL for an attempt BeginAttempt logged (number $13): it
// fills in the outcome instead of inserting, and leaves the count alone.
const completeAttemptSQL = `
WITH d AS (
	UPDATE deliveries SET last_status_code = $2,
		status = CASE WHEN $3 THEN 'succeeded' ELSE status END,
		next_attempt_at = CASE WHEN $3 THEN NULL ELSE $4::timestamptz END, updated_at = now()
	WHERE id = $1
	RETURNING $13::integer AS attempts, webhook_id
), logged AS (
	UPDATE attempts SET trigger = $5::text, started_at = $6::timestamptz, duration_ms = $7::bigint,
		status_code = $2::integer, error_kind = $8::text, error = $9::text, request_headers = $10::jsonb,
		response_body = $11::text
	WHERE delivery_id = $1 AND number = $13
), counted AS (` + streakSQL + `
)
SELECT attempts FROM d`

// streakSQL updates the webhook's failure streak (counter and start) after an attempt of
// delivery d ($3: it succeeded; $6: when it started; $12: it counts). A success writes the
// webhook row only when there is a streak to end, so that the deliveries of one busy webhook
// do not all queue on that row's lock.
const streakSQL = `
	UPDATE webhooks w SET consecutive_failures = CASE WHEN $3 THEN 0 ELSE w.consecutive_failures + 1 END,
		failing_since = CASE WHEN $3 THEN NULL ELSE COALESCE(w.failing_since, $6::timestamptz) END
	FROM d WHERE w.id = d.webhook_id AND $12::boolean
		AND (NOT $3::boolean OR w.consecutive_failures <> 0 OR w.failing_since IS NOT NULL)`

// recordAttemptSQL bumps the delivery's attempt count and status, logs the attempt under the
// new number and updates the webhook's failure streak (counter and start), in one statement (one round trip, one
// commit). A success writes the webhook row only when its counter is not already 0, so that
// the deliveries of one busy webhook do not all queue on that row's lock.
const recordAttemptSQL = `
WITH d AS (
	UPDATE deliveries SET attempts = attempts + 1, last_status_code = $2,
		status = CASE WHEN $3 THEN 'succeeded' ELSE status END,
		next_attempt_at = CASE WHEN $3 THEN NULL ELSE $4::timestamptz END, updated_at = now()
	WHERE id = $1
	RETURNING attempts, webhook_id
), logged AS (
	INSERT INTO attempts (delivery_id, number, trigger, started_at, duration_ms, status_code, error_kind, error,
		request_headers, response_body)
	SELECT $1, d.attempts, $5::text, $6::timestamptz, $7::bigint, $2::integer, $8::text, $9::text, $10::jsonb, $11::text FROM d
), counted AS (` + streakSQL + `
)
SELECT attempts FROM d`

// RecordAttempt logs an attempt, numbers it after the delivery's previous ones, updates the
// delivery and the webhook's failure counter, all at once. It returns the number.
// An attempt with a Number is one BeginAttempt logged: it is completed under that number.
// Test attempts (trigger test) leave the failure counter alone.
func (s *Store) RecordAttempt(ctx context.Context, deliveryID string, a herald.AttemptRecord) (int, error) {
	headers := a.RequestHeaders
	if len(headers) == 0 {
		headers = []byte("{}")
	}
	query, args := recordAttemptSQL, []any{deliveryID, a.StatusCode, a.Succeeded, a.NextAttemptAt,
		a.Trigger, a.StartedAt, a.DurationMS, a.ErrorKind, a.Error, headers, a.ResponseBody,
		a.Trigger != herald.TriggerTest}
	if a.Number > 0 {
		query, args = completeAttemptSQL, append(args, a.Number)
	}
	var number int
	if err := s.db.QueryRowxContext(ctx, query, args...).Scan(&number); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, notFound(err, "delivery")
		}
		return 0, fmt.Errorf("record attempt: %w", err)
	}
	return number, nil
}

// FinishDelivery sets the final status of a delivery that is still pending; an attempt still
// in flight then will never complete, and shows as interrupted.
func (s *Store) FinishDelivery(ctx context.Context, deliveryID string, status herald.DeliveryStatus) error {
	_, err := s.db.ExecContext(ctx, `WITH interrupted AS (`+interruptSQL+`)
		UPDATE deliveries SET status = $2, next_attempt_at = NULL, updated_at = now()
		WHERE id = $1 AND status = 'pending'`, deliveryID, status)
	if err != nil {
		return fmt.Errorf("finish delivery: %w", err)
	}
	return nil
}

// attemptLogSQL reads a delivery's attempts with what each sent: the recorded request headers
// and the size and SHA-256 of the delivery's body, which every attempt sends unchanged.
const attemptLogSQL = `SELECT a.number, a.trigger, a.started_at, a.duration_ms, a.status_code, a.error_kind, a.error,
	a.response_body, a.request_headers, octet_length(d.body) AS request_body_size,
	encode(sha256(d.body), 'hex') AS request_body_sha256
FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.delivery_id = $1 ORDER BY a.number`

// Delivery reads one delivery with its attempt log.
func (s *Store) Delivery(ctx context.Context, id string) (*herald.Delivery, error) {
	var d herald.Delivery
	if err := s.db.GetContext(ctx, &d, `SELECT `+deliveryColumns+` FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.id = $1`, id); err != nil {
		return nil, notFound(err, "delivery")
	}
	d.AttemptLog = []herald.Attempt{}
	if err := s.db.SelectContext(ctx, &d.AttemptLog, attemptLogSQL, id); err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	for i := range d.AttemptLog { // attempts recorded before errors were redacted held the whole URL
		d.AttemptLog[i].Error = herald.RedactURLs(d.AttemptLog[i].Error)
	}
	return &d, nil
}

// scope is the SQL condition on d.webhook_id that selects the filter's log, with its argument
// as $1. Only these fixed fragments reach the query text.
func scope(f herald.DeliveryFilter) (string, string) {
	switch {
	case f.WebhookID != "":
		return `d.webhook_id = $1`, f.WebhookID
	case f.Owner.OrganizationID != "":
		return `d.webhook_id IN (SELECT id FROM webhooks WHERE organization_id = $1)`, f.Owner.OrganizationID
	default:
		return `d.webhook_id IN (SELECT id FROM webhooks WHERE user_id = $1)`, f.Owner.UserID
	}
}

const deliveriesFilterSQL = ` AND (cardinality($2::text[]) = 0 OR d.status = ANY($2)) AND ($3 = '' OR e.type = $3)
  AND ($4::timestamptz IS NULL OR d.created_at >= $4) AND ($5::timestamptz IS NULL OR d.created_at < $5)
  AND ($6::timestamptz IS NULL OR (d.created_at, d.id) < ($6, $7))
ORDER BY d.created_at DESC, d.id DESC LIMIT $8`

// WebhookDeliveries lists a webhook's deliveries, or an owner's across its webhooks, newest
// first. A cursor that is not one of that log's deliveries is a validation error on the field
// "cursor".
func (s *Store) WebhookDeliveries(ctx context.Context, f herald.DeliveryFilter) ([]herald.Delivery, error) {
	where, arg := scope(f)
	var before *time.Time
	if f.Before != "" {
		var t time.Time
		err := s.db.GetContext(ctx, &t, `SELECT d.created_at FROM deliveries d WHERE `+where+` AND d.id = $2`,
			arg, f.Before)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, &herald.Error{Code: herald.EInvalid, Message: "invalid cursor",
				Details: []herald.ErrorDetail{{Field: "cursor", Message: "is not a next_cursor of this list"}}}
		}
		if err != nil {
			return nil, fmt.Errorf("read cursor: %w", err)
		}
		before = &t
	}
	out := []herald.Delivery{}
	q := `SELECT ` + deliveryColumns + ` FROM deliveries d JOIN events e ON e.id = d.event_id WHERE ` + where + deliveriesFilterSQL
	err := s.db.SelectContext(ctx, &out, q, arg, statusArray(f.Statuses), f.EventType,
		optionalTime(f.Since), optionalTime(f.Until), before, f.Before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
