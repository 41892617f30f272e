package app

import (
	"context"
	"strconv"

	"github.com/herald-webhooks/herald"
)

// Input is a request's input, decoded when a service asks for it: after the service has
// authorized the caller, so a caller who may not see a resource gets the same ENotFound
// whatever it sent, and learns nothing from how its input would have been judged.
type Input[T any] func() (T, error)

// Given is an Input already at hand (a caller that decodes nothing, or a test).
func Given[T any](v T) Input[T] { return func() (T, error) { return v, nil } }

// Page is one page of a list, oldest first: Data, and the cursor of the next page ("" at the
// end).
type Page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// pageOf is the page of items, read with one more than limit to tell whether a next page
// exists; cursor names an item as the next page's cursor.
func pageOf[T any](items []T, limit int, cursor func(T) string) Page[T] {
	p := Page[T]{Data: items}
	if len(items) > limit {
		p.Data = items[:limit]
		p.NextCursor = cursor(items[limit-1])
	}
	return p
}

// DefaultPageLimit is a list's page size when the request names none.
const DefaultPageLimit = 25

// ParseLimit reads a list's limit parameter: 1 to 100, DefaultPageLimit when empty.
func ParseLimit(v string) (int, error) {
	if v == "" {
		return DefaultPageLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, &herald.Error{Code: herald.EInvalid, Message: "invalid limit",
			Details: []herald.ErrorDetail{{Field: "limit", Message: "must be between 1 and 100"}}}
	}
	return n, nil
}

// Directory is what a service needs to know that an owner exists.
type Directory interface {
	UserExists(ctx context.Context, id string) (bool, error)
	OrganizationExists(ctx context.Context, id string) (bool, error)
}

// ownerExists is nil when the owner's user or organization is in the directory, ENotFound
// otherwise.
func ownerExists(ctx context.Context, dir Directory, owner herald.Owner) error {
	exists, id := dir.UserExists, owner.UserID
	if owner.OrganizationID != "" {
		exists, id = dir.OrganizationExists, owner.OrganizationID
	}
	ok, err := exists(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return herald.Errorf(herald.ENotFound, "owner not found")
	}
	return nil
}
