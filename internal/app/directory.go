package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/herald-webhooks/herald"
)

// DirectoryStore is what the directory service changes: the backend's users, organizations
// and memberships as synced into Herald.
type DirectoryStore interface {
	UpsertUser(ctx context.Context, u herald.User) error
	// DeleteUser and DeleteOrganization delete the owner's webhooks too and return those
	// whose pending deliveries they cancelled.
	DeleteUser(ctx context.Context, id string) ([]herald.StoppedWebhook, error)
	UpsertOrganization(ctx context.Context, o herald.Organization) error
	DeleteOrganization(ctx context.Context, id string) ([]herald.StoppedWebhook, error)
	UpsertMembership(ctx context.Context, m herald.Membership) error
	DeleteMembership(ctx context.Context, organizationID, userID string) error
}

// CancelStarter starts the workflow that cancels the delivery workflows one change stopped.
type CancelStarter interface {
	StartCancelDeliveries(ctx context.Context, webhookID string, status herald.DeliveryStatus, at time.Time) (workflowID string, err error)
}

// DirectoryService is the backend's sync of its directory; every method needs an admin key.
// Deleting a user or an organization deletes its webhooks (pending deliveries cancelled, logs
// kept) and memberships; a user's tokens are revoked.
type DirectoryService struct {
	Store     DirectoryStore
	Workflows CancelStarter
	Auth      Authorizer
	Logger    *slog.Logger
}

// PutUser creates or replaces the user id with the input's email and name.
func (s *DirectoryService) PutUser(ctx context.Context, id string, in Input[herald.User]) (*herald.User, error) {
	return put(ctx, s.Auth, "the user", in, func(u *herald.User) { u.ID = id }, s.Store.UpsertUser)
}

// PutOrganization creates or replaces the organization id with the input's name.
func (s *DirectoryService) PutOrganization(ctx context.Context, id string, in Input[herald.Organization]) (*herald.Organization, error) {
	return put(ctx, s.Auth, "the organization", in, func(o *herald.Organization) { o.ID = id }, s.Store.UpsertOrganization)
}

// PutMembership sets the user's role in the organization; both must be in the directory.
func (s *DirectoryService) PutMembership(ctx context.Context, organizationID, userID string, in Input[herald.Membership]) (*herald.Membership, error) {
	return put(ctx, s.Auth, "the membership", in, func(m *herald.Membership) {
		m.OrganizationID, m.UserID = organizationID, userID
	}, s.Store.UpsertMembership)
}

// validated is a directory entry with its own rules (herald.User, Organization, Membership).
type validated[T any] interface {
	*T
	Validate() []herald.ErrorDetail
}

// put is the upsert of a directory entry: authorize, decode, let fill set the ids the path
// names, check the entry's fields, save.
func put[T any, P validated[T]](ctx context.Context, auth Authorizer, what string, in Input[T], fill func(P), save func(context.Context, T) error) (*T, error) {
	if err := auth.Admin(ctx); err != nil {
		return nil, err
	}
	v, err := in()
	if err != nil {
		return nil, err
	}
	fill(&v)
	if err := herald.Invalid(what, P(&v).Validate()); err != nil {
		return nil, err
	}
	if err := save(ctx, v); err != nil {
		return nil, err
	}
	return &v, nil
}

// DeleteUser removes the user from the directory; an unknown user is ENotFound.
func (s *DirectoryService) DeleteUser(ctx context.Context, id string) error {
	return s.deleteOwner(ctx, id, s.Store.DeleteUser)
}

// DeleteOrganization removes the organization from the directory; an unknown one is ENotFound.
func (s *DirectoryService) DeleteOrganization(ctx context.Context, id string) error {
	return s.deleteOwner(ctx, id, s.Store.DeleteOrganization)
}

// deleteOwner deletes a user or an organization with del, then starts a cancel-deliveries
// workflow for each deleted webhook whose pending deliveries the deletion cancelled, rather
// than cancelling their workflows in the request. A workflow that does not start is logged:
// the deliveries are cancelled already, and a workflow not cancelled finds that at its next
// attempt.
func (s *DirectoryService) deleteOwner(ctx context.Context, id string, del func(context.Context, string) ([]herald.StoppedWebhook, error)) error {
	if err := s.Auth.Admin(ctx); err != nil {
		return err
	}
	stopped, err := del(ctx, id)
	if err != nil {
		return err
	}
	for _, w := range stopped {
		wid, err := s.Workflows.StartCancelDeliveries(ctx, w.WebhookID, herald.DeliveryCancelled, w.UpdatedAt)
		if err != nil && s.Logger != nil {
			s.Logger.Warn("start cancel-deliveries workflow", "workflow_id", wid, "webhook_id", w.WebhookID, "error", err)
		}
	}
	return nil
}

// DeleteMembership removes the user from the organization; no such membership is ENotFound.
func (s *DirectoryService) DeleteMembership(ctx context.Context, organizationID, userID string) error {
	if err := s.Auth.Admin(ctx); err != nil {
		return err
	}
	return s.Store.DeleteMembership(ctx, organizationID, userID)
}
