package app

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
)

// memDirectory is the directory store in memory, recording what changed.
type memDirectory struct {
	changes []string
	stopped []herald.StoppedWebhook // what a delete returns
}

func (m *memDirectory) UpsertUser(_ context.Context, u herald.User) error {
	m.changes = append(m.changes, "user "+u.ID+" "+u.Email)
	return nil
}

func (m *memDirectory) DeleteUser(_ context.Context, id string) ([]herald.StoppedWebhook, error) {
	m.changes = append(m.changes, "delete user "+id)
	return m.stopped, nil
}

func (m *memDirectory) UpsertOrganization(_ context.Context, o herald.Organization) error {
	m.changes = append(m.changes, "organization "+o.ID)
	return nil
}

func (m *memDirectory) DeleteOrganization(_ context.Context, id string) ([]herald.StoppedWebhook, error) {
	m.changes = append(m.changes, "delete organization "+id)
	return m.stopped, nil
}

func (m *memDirectory) UpsertMembership(_ context.Context, ms herald.Membership) error {
	m.changes = append(m.changes, "member "+ms.OrganizationID+" "+ms.UserID+" "+string(ms.Role))
	return nil
}

func (m *memDirectory) DeleteMembership(_ context.Context, org, user string) error {
	m.changes = append(m.changes, "delete member "+org+" "+user)
	return nil
}

// failingCancels is a Temporal that cannot start the cancel-deliveries workflows.
type failingCancels struct{ asked int }

func (f *failingCancels) StartCancelDeliveries(context.Context, string, herald.DeliveryStatus, time.Time) (string, error) {
	f.asked++
	return "cancel/x", errors.New("temporal down")
}

func TestDirectoryIsTheBackendsAlone(t *testing.T) {
	store := &memDirectory{}
	s := &DirectoryService{Store: store, Workflows: &memWorkflows{}}
	decoded := false
	in := func() (herald.User, error) { decoded = true; return herald.User{}, nil }
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{
		{"a user token may not sync the directory", as(alice)},
		{"an organization's owner may not either", as(owner)},
		{"an unauthenticated context may not", context.Background()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, err := range []error{
				func() error { _, err := s.PutUser(tc.ctx, "usr_x", in); return err }(),
				func() error {
					_, err := s.PutOrganization(tc.ctx, "org_x", Given(herald.Organization{}))
					return err
				}(),
				func() error {
					_, err := s.PutMembership(tc.ctx, "org_a", "usr_x", Given(herald.Membership{Role: herald.RoleOwner}))
					return err
				}(),
				s.DeleteUser(tc.ctx, "usr_alice"),
				s.DeleteOrganization(tc.ctx, "org_a"),
				s.DeleteMembership(tc.ctx, "org_a", "usr_member"),
			} {
				if code := herald.ErrorCode(err); code != herald.EForbidden {
					t.Errorf("code %q, want %q", code, herald.EForbidden)
				}
			}
			if decoded || len(store.changes) > 0 {
				t.Fatalf("decoded %v, changes %v: a refused caller's input is neither read nor applied", decoded, store.changes)
			}
		})
	}
}

func TestDirectoryEntriesAreValidatedWithThePathsIDs(t *testing.T) {
	ctx := as(admin)
	t.Run("the path's id wins over the body's", func(t *testing.T) {
		store := &memDirectory{}
		s := &DirectoryService{Store: store}
		u, err := s.PutUser(ctx, "usr_1", Given(herald.User{ID: "usr_other", Email: "ada@example.com"}))
		if err != nil || u.ID != "usr_1" || !slices.Equal(store.changes, []string{"user usr_1 ada@example.com"}) {
			t.Fatalf("user %+v, error %v, changes %v", u, err, store.changes)
		}
	})
	t.Run("a bad field is a validation error and nothing is saved", func(t *testing.T) {
		store := &memDirectory{}
		s := &DirectoryService{Store: store}
		_, err := s.PutMembership(ctx, "org_a", "bad id", Given(herald.Membership{Role: "boss"}))
		var herr *herald.Error
		if !errors.As(err, &herr) || herr.Code != herald.EInvalid || herr.Message != "the membership is not valid" ||
			!slices.Equal(fields(herr.Details), []string{"userId", "role"}) {
			t.Fatalf("error %+v", err)
		}
		if len(store.changes) > 0 {
			t.Fatalf("changes %v", store.changes)
		}
	})
	t.Run("a body that does not decode is the decoder's error", func(t *testing.T) {
		s := &DirectoryService{Store: &memDirectory{}}
		bad := herald.Errorf(herald.EMalformed, "not JSON")
		if _, err := s.PutOrganization(ctx, "org_a", func() (herald.Organization, error) { return herald.Organization{}, bad }); err != bad {
			t.Fatalf("error %v", err)
		}
	})
}

func TestDeletingAnOwnerCancelsItsWebhooksDeliveries(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	stopped := []herald.StoppedWebhook{{WebhookID: "wh_1", UpdatedAt: at}, {WebhookID: "wh_2", UpdatedAt: at}}
	t.Run("a cancel-deliveries workflow per webhook whose deliveries were cancelled", func(t *testing.T) {
		wf := &memWorkflows{}
		s := &DirectoryService{Store: &memDirectory{stopped: stopped}, Workflows: wf}
		if err := s.DeleteOrganization(as(admin), "org_a"); err != nil {
			t.Fatal(err)
		}
		if want := []string{"cancel-deliveries wh_1 cancelled", "cancel-deliveries wh_2 cancelled"}; !slices.Equal(wf.started, want) {
			t.Fatalf("started %v, want %v", wf.started, want)
		}
	})
	t.Run("the deletion stands when Temporal cannot start them", func(t *testing.T) {
		wf := &failingCancels{}
		store := &memDirectory{stopped: stopped}
		s := &DirectoryService{Store: store, Workflows: wf}
		if err := s.DeleteUser(as(admin), "usr_alice"); err != nil || wf.asked != 2 {
			t.Fatalf("error %v after %d starts", err, wf.asked)
		}
	})
}

// fields lists the fields the details name, in order.
func fields(d []herald.ErrorDetail) []string {
	out := make([]string, len(d))
	for i, e := range d {
		out[i] = e.Field
	}
	return out
}
