package postgres

import (
	"context"
	"fmt"

	"github.com/herald-webhooks/herald"
)

const upsertEventTypeSQL = `
INSERT INTO event_types (name, description, group_name, schema, example, archived)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, group_name = EXCLUDED.group_name,
    schema = EXCLUDED.schema, example = EXCLUDED.example, archived = EXCLUDED.archived, updated_at = now()`

// UpsertEventType creates or replaces an event type.
func (s *Store) UpsertEventType(ctx context.Context, et herald.EventType) error {
	if _, err := s.db.ExecContext(ctx, upsertEventTypeSQL, et.Name, et.Description, et.Group,
		nullJSON(et.Schema), nullJSON(et.Example), et.Archived); err != nil {
		return fmt.Errorf("upsert event type: %w", err)
	}
	return nil
}

// InsertEventTypeIfMissing adds an event type unless one of that name exists; it reports whether it did.
func (s *Store) InsertEventTypeIfMissing(ctx context.Context, et herald.EventType) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO event_types (name, description, group_name, schema, example) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO NOTHING`, et.Name, et.Description, et.Group, nullJSON(et.Schema), nullJSON(et.Example))
	if err != nil {
		return false, fmt.Errorf("insert event type: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

const eventTypeColumns = `name, description, group_name, COALESCE(schema::text, '') AS schema, COALESCE(example::text, '') AS example, archived`

// EventTypes lists the catalog ordered by group and name.
func (s *Store) EventTypes(ctx context.Context) ([]herald.EventType, error) {
	var rows []eventTypeRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+eventTypeColumns+` FROM event_types ORDER BY group_name, name`); err != nil {
		return nil, fmt.Errorf("list event types: %w", err)
	}
	out := make([]herald.EventType, len(rows))
	for i, r := range rows {
		out[i] = r.eventType()
	}
	return out, nil
}

// EventType reads one event type.
func (s *Store) EventType(ctx context.Context, name string) (herald.EventType, error) {
	var r eventTypeRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+eventTypeColumns+` FROM event_types WHERE name = $1`, name); err != nil {
		return herald.EventType{}, notFound(err, "event type")
	}
	return r.eventType(), nil
}

type eventTypeRow struct {
	Name        string `db:"name"`
	Description string `db:"description"`
	Group       string `db:"group_name"`
	Schema      string `db:"schema"`
	Example     string `db:"example"`
	Archived    bool   `db:"archived"`
}

func (r eventTypeRow) eventType() herald.EventType {
	et := herald.EventType{Name: r.Name, Description: r.Description, Group: r.Group, Archived: r.Archived}
	if r.Schema != "" {
		et.Schema = []byte(r.Schema)
	}
	if r.Example != "" {
		et.Example = []byte(r.Example)
	}
	return et
}

func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// archiveOrDeleteSQL archives the type when events of it exist or live webhooks subscribe to
// it, and deletes it otherwise; the CTEs see one snapshot, so exactly one of the two happens.
const archiveOrDeleteSQL = `
WITH used AS (
    SELECT EXISTS (SELECT 1 FROM events WHERE type = $1)
        OR EXISTS (SELECT 1 FROM webhooks WHERE deleted_at IS NULL AND events @> ARRAY[$1]::text[]) AS used
), archived AS (
    UPDATE event_types SET archived = true, updated_at = now()
    WHERE name = $1 AND (SELECT used FROM used)
    RETURNING name
), deleted AS (
    DELETE FROM event_types WHERE name = $1 AND NOT (SELECT used FROM used)
    RETURNING name
)
SELECT (SELECT count(*) FROM archived) AS archived, (SELECT count(*) FROM deleted) AS deleted`

// DeleteEventType removes an event type from the catalog. A type that events were published
// with, or that a webhook subscribes to, is archived instead (the log and the subscriptions
// keep their meaning) and returned; a deleted type returns nil. An unknown name is not_found.
func (s *Store) DeleteEventType(ctx context.Context, name string) (*herald.EventType, error) {
	var n struct {
		Archived int `db:"archived"`
		Deleted  int `db:"deleted"`
	}
	if err := s.db.GetContext(ctx, &n, archiveOrDeleteSQL, name); err != nil {
		return nil, fmt.Errorf("delete event type: %w", err)
	}
	switch {
	case n.Deleted == 1:
		return nil, nil
	case n.Archived == 1:
		et, err := s.EventType(ctx, name)
		if err != nil {
			return nil, err
		}
		return &et, nil
	}
	return nil, herald.Errorf(herald.ENotFound, "event type not found")
}
