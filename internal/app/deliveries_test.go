package app

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/herald-webhooks/herald"
)

// fakeDeliveries is a delivery log: webhooks by id with their owners, and their deliveries.
type fakeDeliveries struct {
	owners     map[string]herald.Owner
	deliveries []herald.Delivery
	filters    []herald.DeliveryFilter // what WebhookDeliveries was asked
}

func (f *fakeDeliveries) Delivery(_ context.Context, id string) (*herald.Delivery, error) {
	for _, d := range f.deliveries {
		if d.ID == id {
			return &d, nil
		}
	}
	return nil, herald.Errorf(herald.ENotFound, "delivery not found")
}

func (f *fakeDeliveries) WebhookDeliveries(_ context.Context, flt herald.DeliveryFilter) ([]herald.Delivery, error) {
	f.filters = append(f.filters, flt)
	var out []herald.Delivery
	for _, d := range f.deliveries {
		if (flt.WebhookID == "" || d.WebhookID == flt.WebhookID) && len(out) < flt.Limit {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeDeliveries) WebhookOwner(_ context.Context, id string) (herald.Owner, error) {
	o, ok := f.owners[id]
	if !ok {
		return herald.Owner{}, herald.Errorf(herald.ENotFound, "webhook not found")
	}
	return o, nil
}

type fakeDirectory struct{ users, orgs map[string]bool }

func (f fakeDirectory) UserExists(_ context.Context, id string) (bool, error) {
	return f.users[id], nil
}
func (f fakeDirectory) OrganizationExists(_ context.Context, id string) (bool, error) {
	return f.orgs[id], nil
}

func newDeliveries() (*Deliveries, *fakeDeliveries) {
	store := &fakeDeliveries{
		owners: map[string]herald.Owner{"wh_alice": persAli, "wh_org": orgA},
		deliveries: []herald.Delivery{
			{ID: "dlv_1", WebhookID: "wh_alice"}, {ID: "dlv_2", WebhookID: "wh_alice"}, {ID: "dlv_3", WebhookID: "wh_org"},
		},
	}
	dir := fakeDirectory{users: map[string]bool{"usr_alice": true, "usr_bob": true}, orgs: map[string]bool{"org_a": true}}
	return &Deliveries{Store: store, Dir: dir, Auth: Authorizer{Roles: newRoles()}}, store
}

// badInput is an input that must not be decoded: the caller is refused before.
func badInput(t *testing.T) Input[LogQuery] {
	return func() (LogQuery, error) {
		t.Error("the input was decoded for a caller who is refused")
		return LogQuery{}, herald.Errorf(herald.EInvalid, "invalid limit")
	}
}

func TestDeliveriesWebhookLog(t *testing.T) {
	ctx := WithPrincipal(context.Background(), alice)
	t.Run("the webhook's owner reads a page with the cursor of the next", func(t *testing.T) {
		s, store := newDeliveries()
		p, err := s.WebhookLog(ctx, "wh_alice", Given(LogQuery{Limit: 1}))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Data) != 1 || p.Data[0].ID != "dlv_1" || p.NextCursor != "dlv_1" {
			t.Fatalf("page = %+v, want dlv_1 and a next cursor", p)
		}
		if f := store.filters[0]; f.WebhookID != "wh_alice" || f.Limit != 2 {
			t.Fatalf("filter = %+v, want the webhook's log read with limit+1", f)
		}
	})
	t.Run("the last page has no next cursor", func(t *testing.T) {
		s, _ := newDeliveries()
		p, err := s.WebhookLog(ctx, "wh_alice", Given(LogQuery{Limit: 2}))
		if err != nil || len(p.Data) != 2 || p.NextCursor != "" {
			t.Fatalf("page = %+v, %v; want both deliveries and no cursor", p, err)
		}
	})
	t.Run("another tenant's webhook is not found, whatever the input", func(t *testing.T) {
		s, store := newDeliveries()
		if _, err := s.WebhookLog(ctx, "wh_org", badInput(t)); code(err) != herald.ENotFound {
			t.Fatalf("err = %v, want not_found", err)
		}
		if len(store.filters) != 0 {
			t.Fatal("the log was read for a caller who may not see it")
		}
	})
	t.Run("an unknown webhook is not found", func(t *testing.T) {
		s, _ := newDeliveries()
		if _, err := s.WebhookLog(ctx, "wh_none", badInput(t)); code(err) != herald.ENotFound {
			t.Fatalf("err = %v, want not_found", err)
		}
	})
	t.Run("a member may read the organization's log", func(t *testing.T) {
		s, _ := newDeliveries()
		p, err := s.WebhookLog(WithPrincipal(context.Background(), user("usr_member")), "wh_org", Given(LogQuery{Limit: 25}))
		if err != nil || len(p.Data) != 1 {
			t.Fatalf("page = %+v, %v; want dlv_3", p, err)
		}
	})
	t.Run("an invalid query of an allowed caller is its error", func(t *testing.T) {
		s, _ := newDeliveries()
		bad := herald.Errorf(herald.EInvalid, "invalid limit")
		_, err := s.WebhookLog(ctx, "wh_alice", func() (LogQuery, error) { return LogQuery{}, bad })
		if !errors.Is(err, bad) {
			t.Fatalf("err = %v, want the decoding error", err)
		}
	})
}

func TestDeliveriesOwnerLog(t *testing.T) {
	tests := []struct {
		name   string
		caller herald.Principal
		owner  herald.Owner
		want   string
	}{
		{"a user reads its own owner-wide log", alice, persAli, ""},
		{"a user does not see another user's", alice, persBob, herald.ENotFound},
		{"a member reads its organization's", user("usr_member"), orgA, ""},
		{"an admin is told an unknown owner is not found", admin, herald.Owner{OrganizationID: "org_none"}, herald.ENotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, store := newDeliveries()
			in := Given(LogQuery{Limit: 25})
			if tt.want != "" {
				in = badInput(t)
			}
			_, err := s.OwnerLog(WithPrincipal(context.Background(), tt.caller), tt.owner, in)
			if code(err) != tt.want {
				t.Fatalf("err = %v, want code %q", err, tt.want)
			}
			if tt.want == "" && store.filters[0].Owner != tt.owner {
				t.Fatalf("filter = %+v, want the owner's log", store.filters[0])
			}
		})
	}
}

func TestDeliveriesDelivery(t *testing.T) {
	s, _ := newDeliveries()
	if d, err := s.Delivery(WithPrincipal(context.Background(), alice), "dlv_2"); err != nil || d.ID != "dlv_2" {
		t.Fatalf("own delivery = %+v, %v", d, err)
	}
	if _, err := s.Delivery(WithPrincipal(context.Background(), alice), "dlv_3"); code(err) != herald.ENotFound {
		t.Fatalf("another tenant's delivery = %v, want not_found", err)
	}
	if _, err := s.Delivery(WithPrincipal(context.Background(), user("usr_member")), "dlv_3"); err != nil {
		t.Fatalf("a member reading the organization's delivery: %v", err)
	}
}

func TestParseLogQuery(t *testing.T) {
	tests := []struct {
		query  string
		fields []string // error detail fields, nil for valid
	}{
		{"", nil},
		{"limit=100&status=failed,held&event=order.created&since=2026-01-01T00:00:00Z", nil},
		{"status=failed,nope", []string{"status"}},
		{"since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", []string{"until"}},
		{"since=yesterday&cursor=a%20b", []string{"cursor", "since"}},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		got, err := ParseLogQuery(q)
		var fields []string
		var herr *herald.Error
		if errors.As(err, &herr) {
			for _, d := range herr.Details {
				fields = append(fields, d.Field)
			}
		}
		if len(fields) != len(tt.fields) {
			t.Errorf("ParseLogQuery(%q) = %+v, %v; want errors on %v", tt.query, got, err, tt.fields)
			continue
		}
		for i := range fields {
			if fields[i] != tt.fields[i] {
				t.Errorf("ParseLogQuery(%q) errors on %v, want %v", tt.query, fields, tt.fields)
			}
		}
	}
	for _, bad := range []string{"0", "101", "ten"} {
		if _, err := ParseLogQuery(url.Values{"limit": {bad}}); code(err) != herald.EInvalid {
			t.Errorf("limit=%s: %v, want invalid", bad, err)
		}
	}
	if q, _ := ParseLogQuery(url.Values{}); q.Limit != DefaultPageLimit {
		t.Errorf("default limit = %d, want %d", q.Limit, DefaultPageLimit)
	}
}
