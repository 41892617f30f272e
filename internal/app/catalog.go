package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/catalog"
	"github.com/herald-webhooks/herald/starter"
)

// CatalogStore is what the catalog service reads and changes: the event types.
type CatalogStore interface {
	EventTypes(ctx context.Context) ([]herald.EventType, error)
	EventType(ctx context.Context, name string) (herald.EventType, error)
	UpsertEventType(ctx context.Context, et herald.EventType) error
	// DeleteEventType deletes a type nothing refers to (nil) or archives one that events or
	// webhooks refer to and returns it.
	DeleteEventType(ctx context.Context, name string) (*herald.EventType, error)
}

// Catalog serves the event catalog: any authenticated caller reads it (users pick events from
// it); only an admin key changes it. A type's schema must compile and its example must match
// it and be deliverable in every format (test sends deliver it); otherwise nothing is stored.
type Catalog struct {
	Store CatalogStore
	Auth  Authorizer
}

// EventTypeRequest is the body of a PUT of an event type, and of a PATCH once merged into the
// stored type. A nil member was absent; schema and example are "null" when sent as null.
type EventTypeRequest struct {
	Description *string         `json:"description"`
	Group       *string         `json:"group"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
	Archived    bool            `json:"archived"`
}

// EventTypeMerge merges a PATCH, already decoded, into the stored type.
type EventTypeMerge func(current herald.EventType) (EventTypeRequest, error)

// EventTypeGroup is one group of the catalog with its types.
type EventTypeGroup struct {
	Name       string             `json:"name"`
	EventTypes []herald.EventType `json:"event_types"`
}

// CatalogList is the whole catalog twice over: Data lists every type (ordered by group, then
// name) and Groups the same types grouped, in the same order.
type CatalogList struct {
	Data       []herald.EventType `json:"data"`
	Groups     []EventTypeGroup   `json:"groups"`
	NextCursor string             `json:"next_cursor"`
}

// authenticated is nil when ctx carries a caller.
func authenticated(ctx context.Context) error {
	if _, ok := PrincipalOf(ctx); !ok {
		return herald.Errorf(herald.EUnauthorized, "not authenticated")
	}
	return nil
}

// List answers the whole catalog.
func (s *Catalog) List(ctx context.Context) (*CatalogList, error) {
	if err := authenticated(ctx); err != nil {
		return nil, err
	}
	ets, err := s.Store.EventTypes(ctx)
	if err != nil {
		return nil, err
	}
	groups := []EventTypeGroup{}
	for _, et := range ets {
		if len(groups) == 0 || groups[len(groups)-1].Name != et.Group {
			groups = append(groups, EventTypeGroup{Name: et.Group})
		}
		g := &groups[len(groups)-1]
		g.EventTypes = append(g.EventTypes, et)
	}
	return &CatalogList{Data: ets, Groups: groups}, nil
}

// Get reads one event type, archived or not.
func (s *Catalog) Get(ctx context.Context, name string) (herald.EventType, error) {
	if err := authenticated(ctx); err != nil {
		return herald.EventType{}, err
	}
	return s.Store.EventType(ctx, name)
}

// Put creates or replaces an event type with the full representation in the input (archived
// omitted is false: a PUT makes the type current). Replacing never erases silently: a member
// the input omits while the stored type has a value for it is EInvalid naming it, with the
// errors of the members given in the same answer; "" clears description or group, null clears
// schema or example.
func (s *Catalog) Put(ctx context.Context, name string, in Input[EventTypeRequest]) (herald.EventType, error) {
	if err := s.Auth.Admin(ctx); err != nil {
		return herald.EventType{}, err
	}
	if err := herald.ValidateID("name", name); err != nil {
		return herald.EventType{}, err
	}
	req, err := in()
	if err != nil {
		return herald.EventType{}, err
	}
	current, err := s.Store.EventType(ctx, name)
	switch {
	case err == nil:
		if err := omittedMembers(req, current); err != nil {
			var given *herald.Error
			if _, verr := validateEventType(name, req); errors.As(verr, &given) {
				err.Details = append(given.Details, err.Details...)
			}
			return herald.EventType{}, err
		}
	case herald.ErrorCode(err) != herald.ENotFound:
		return herald.EventType{}, err
	}
	return s.save(ctx, name, req)
}

// Patch changes a stored type by a JSON Merge Patch (RFC 7396) that the input decodes and
// merges into it: given members change, omitted ones stay, null clears one. PATCH
// {"archived": false} restores an archived type as it was.
func (s *Catalog) Patch(ctx context.Context, name string, in Input[EventTypeMerge]) (herald.EventType, error) {
	if err := s.Auth.Admin(ctx); err != nil {
		return herald.EventType{}, err
	}
	merge, err := in()
	if err != nil {
		return herald.EventType{}, err
	}
	current, err := s.Store.EventType(ctx, name)
	if err != nil {
		return herald.EventType{}, err
	}
	req, err := merge(current)
	if err != nil {
		return herald.EventType{}, err
	}
	return s.save(ctx, name, req)
}

// Delete deletes an event type nothing refers to (nil), or archives one that events or
// webhooks refer to and returns it.
func (s *Catalog) Delete(ctx context.Context, name string) (*herald.EventType, error) {
	if err := s.Auth.Admin(ctx); err != nil {
		return nil, err
	}
	return s.Store.DeleteEventType(ctx, name)
}

// save validates and stores a type and returns it as stored.
func (s *Catalog) save(ctx context.Context, name string, req EventTypeRequest) (herald.EventType, error) {
	et, err := validateEventType(name, req)
	if err != nil {
		return herald.EventType{}, err
	}
	if err := s.Store.UpsertEventType(ctx, et); err != nil {
		return herald.EventType{}, err
	}
	return s.Store.EventType(ctx, name)
}

// omittedMembers is the error of a PUT that leaves out members the stored type has, nil when
// it leaves out none.
func omittedMembers(in EventTypeRequest, current herald.EventType) *herald.Error {
	var d []herald.ErrorDetail
	const msg = "omitted, but the stored type has one: PUT replaces the whole type, so send it (\"\" clears description or group, null clears schema or example), or change single members with PATCH"
	if in.Description == nil && current.Description != "" {
		d = append(d, herald.ErrorDetail{Field: "description", Message: msg})
	}
	if in.Group == nil && current.Group != "" {
		d = append(d, herald.ErrorDetail{Field: "group", Message: msg})
	}
	if in.Schema == nil && current.Schema != nil {
		d = append(d, herald.ErrorDetail{Field: "schema", Message: msg})
	}
	if in.Example == nil && current.Example != nil {
		d = append(d, herald.ErrorDetail{Field: "example", Message: msg})
	}
	if len(d) > 0 {
		return &herald.Error{Code: herald.EInvalid, Message: "the event type is not complete", Details: d}
	}
	return nil
}

// validateEventType is the type the request describes, after its own rules
// (herald.EventType.Validate), an example every format can deliver, a schema that compiles
// and an example that matches it.
func validateEventType(name string, in EventTypeRequest) (herald.EventType, error) {
	et := herald.EventType{Name: name, Archived: in.Archived, Schema: compactJSON(in.Schema), Example: compactJSON(in.Example)}
	if in.Description != nil {
		et.Description = *in.Description
	}
	if in.Group != nil {
		et.Group = *in.Group
	}
	d := et.Validate()
	if et.Example != nil && !names(d, "example") {
		if u := starter.Undeliverable("example", et.Example); u != nil { // test sends deliver it
			d = append(d, *u)
		}
	}
	if len(d) > 0 {
		return et, &herald.Error{Code: herald.EInvalid, Message: "the event type is not valid", Details: d}
	}
	if et.Schema == nil {
		return et, nil
	}
	sch, err := catalog.Compile(et.Schema)
	if err != nil {
		return et, err // a validation error on the field "schema"
	}
	if et.Example != nil {
		if d := sch.Validate("example", et.Example); len(d) > 0 {
			return et, &herald.Error{Code: herald.EInvalid, Message: "the example does not match the schema", Details: d}
		}
	}
	return et, nil
}

// names reports whether a detail names field.
func names(d []herald.ErrorDetail, field string) bool {
	for _, e := range d {
		if e.Field == field {
			return true
		}
	}
	return false
}

// compactJSON is raw without insignificant whitespace; nil for an absent value or null.
func compactJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}
