package herald

import (
	"bytes"
	"encoding/json"
	"time"
)

// EventInput is an event as a publisher sends it, before Herald accepts it. ID and Timestamp
// are generated when empty.
type EventInput struct {
	ID             string          `json:"id,omitempty"`
	Type           string          `json:"event"`
	Timestamp      *time.Time      `json:"timestamp,omitempty"`
	UserID         string          `json:"user_id,omitempty"`
	OrganizationID string          `json:"organization_id,omitempty"`
	Data           json.RawMessage `json:"data"`
}

// Validate reports the field errors of the event's own fields: every id follows the one id
// rule (the event id becomes part of a Temporal workflow id, which must be printable ASCII),
// the type and an owner are given, and data is a JSON object (surrounding space allowed).
// Whether the catalog and the directory know the type and the owner is the publisher's check.
func (in *EventInput) Validate() []ErrorDetail {
	var d details
	id := func(field, v string) {
		if v != "" && !ValidID(v) {
			d.add(field, IDRule)
		}
	}
	id("id", in.ID)
	if in.Type == "" {
		d.add("event", "is required")
	}
	id("event", in.Type)
	if in.UserID == "" && in.OrganizationID == "" {
		d.add("user_id", "user_id or organization_id is required")
	}
	id("user_id", in.UserID)
	id("organization_id", in.OrganizationID)
	trimmed := bytes.TrimSpace(in.Data)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		d.add("data", "must be a JSON object")
	}
	return d
}
