package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
)

var clock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newWebhooks() (*Webhooks, *memStore, *memWorkflows) {
	store, wf := newMemStore(), &memWorkflows{}
	dir := fakeDirectory{users: map[string]bool{"usr_alice": true, "usr_bob": true}, orgs: map[string]bool{"org_a": true}}
	return &Webhooks{Store: store, Dir: dir, URLs: allowAll{}, Catalog: memCatalog{}, Workflows: wf, Auth: Authorizer{Roles: newRoles()},
		Now: func() time.Time { return clock }}, store, wf
}

func TestWebhooksOpen(t *testing.T) {
	tests := []struct {
		name   string
		caller herald.Principal
		ref    WebhookRef
		want   string
	}{
		{"by id, the owner reads its webhook", alice, WebhookRef{ID: "wh_alice"}, ""},
		{"by id, another tenant's webhook is not found", alice, WebhookRef{ID: "wh_org"}, herald.ENotFound},
		{"under its owner's path, a member reads it", member, WebhookRef{ID: "wh_org", Owner: &orgA}, ""},
		{"under another owner's path, it is not found even for an admin", admin, WebhookRef{ID: "wh_org", Owner: &persAli}, herald.ENotFound},
		{"under a path the caller may not see, it is not found", alice, WebhookRef{ID: "wh_none", Owner: &orgA}, herald.ENotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := newWebhooks()
			w, err := s.Get(as(tt.caller), tt.ref)
			if code(err) != tt.want {
				t.Fatalf("Get = %v, want %q", err, tt.want)
			}
			if err == nil && w.ID != tt.ref.ID {
				t.Fatalf("Get = %s, want %s", w.ID, tt.ref.ID)
			}
		})
	}
	t.Run("under a path the caller may not see, the webhook is not even read", func(t *testing.T) {
		s, store, _ := newWebhooks()
		if _, err := s.Get(as(member), WebhookRef{ID: "wh_org", Owner: &persBob}); code(err) != herald.ENotFound {
			t.Fatalf("Get = %v", err)
		}
		if store.reads != 0 {
			t.Fatalf("%d webhook reads for a caller refused by the path's owner", store.reads)
		}
	})
}

func TestWebhooksListNeedsAnExistingOwnerTheCallerMaySee(t *testing.T) {
	s, _, _ := newWebhooks()
	p, err := s.List(as(member), orgA, Given(WebhookPage{Limit: 25}))
	if err != nil || len(p.Data) != 1 || p.Data[0].ID != "wh_org" {
		t.Fatalf("List = %+v, %v", p, err)
	}
	if _, err := s.List(as(alice), orgA, badPage(t)); code(err) != herald.ENotFound {
		t.Fatalf("outsider: %v, want not_found", err)
	}
	if _, err := s.List(as(admin), herald.Owner{UserID: "usr_gone"}, badPage(t)); code(err) != herald.ENotFound {
		t.Fatalf("unknown owner: %v, want not_found", err)
	}
}

func badPage(t *testing.T) Input[WebhookPage] {
	return func() (WebhookPage, error) {
		t.Error("the page was decoded for a refused caller")
		return WebhookPage{}, nil
	}
}

func TestWebhooksDelete(t *testing.T) {
	s, store, wf := newWebhooks()
	if err := s.Delete(as(member), WebhookRef{ID: "wh_org", Owner: &orgA}); code(err) != herald.EForbidden {
		t.Fatalf("member: %v, want forbidden", err)
	}
	if len(store.changes) != 0 {
		t.Fatalf("a refused delete changed %v", store.changes)
	}
	if err := s.Delete(as(owner), WebhookRef{ID: "wh_org", Owner: &orgA}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(store.changes, []string{"delete wh_org"}) || !slices.Equal(wf.started, []string{"cancel-deliveries wh_org cancelled"}) {
		t.Fatalf("store %v, workflows %v", store.changes, wf.started)
	}
}

func TestWebhooksActivate(t *testing.T) {
	t.Run("an inactive webhook becomes active without a recovery", func(t *testing.T) {
		s, _, wf := newWebhooks()
		out, err := s.Activate(as(alice), WebhookRef{ID: "wh_alice"}, Given(Activation{}))
		if err != nil || out.Status != herald.WebhookActive || out.Recovery != nil || len(wf.started) != 0 {
			t.Fatalf("Activate = %+v, %v; started %v", out, err, wf.started)
		}
	})
	t.Run("after a disable, the answer hints how to recover", func(t *testing.T) {
		s, store, _ := newWebhooks()
		failing := clock.Add(-time.Hour)
		store.webhooks["wh_org"].FailingSince, store.held = &failing, 4
		out, err := s.Activate(as(owner), WebhookRef{ID: "wh_org"}, Given(Activation{}))
		if err != nil {
			t.Fatal(err)
		}
		if r := out.Recovery; r == nil || r.Held != 4 || r.DisabledReason != "failing" || r.Replay != nil ||
			!strings.Contains(r.Hint, "failing since 2026-03-01T11:00:00Z") {
			t.Fatalf("recovery = %+v", out.Recovery)
		}
	})
	t.Run("recover_since replays held and failed deliveries from the oldest held one", func(t *testing.T) {
		s, store, wf := newWebhooks()
		since, oldest := clock.Add(-time.Hour), clock.Add(-2*time.Hour)
		store.oldestHeld = &oldest
		out, err := s.Activate(as(owner), WebhookRef{ID: "wh_org"}, Given(Activation{RecoverSince: &since}))
		if err != nil {
			t.Fatal(err)
		}
		r := out.Recovery.Replay
		if r == nil || !r.Since.Equal(oldest) || !slices.Equal(r.Status, []herald.DeliveryStatus{herald.DeliveryHeld, herald.DeliveryFailed}) {
			t.Fatalf("replay = %+v", r)
		}
		if !slices.Equal(wf.started, []string{"replay wh_org"}) {
			t.Fatalf("started %v", wf.started)
		}
	})
	tests := []struct {
		name   string
		caller herald.Principal
		modify func(*herald.Webhook)
		in     Activation
		want   string
		fields []string
	}{
		{"a member may not activate", member, nil, Activation{}, herald.EForbidden, nil},
		{"an outsider does not see the webhook", alice, nil, Activation{}, herald.ENotFound, nil},
		{"a webhook without events or with a URL the policy refuses cannot be active", owner,
			func(w *herald.Webhook) { w.Events, w.URL = nil, "https://blocked.example/" }, Activation{}, herald.EInvalid, []string{"events", "url"}},
		{"recover_since may not be in the future", owner, nil, Activation{RecoverSince: ptr(clock.Add(time.Minute))}, herald.EInvalid, []string{"recover_since"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, store, _ := newWebhooks()
			if tt.modify != nil {
				tt.modify(store.webhooks["wh_org"])
			}
			_, err := s.Activate(as(tt.caller), WebhookRef{ID: "wh_org"}, Given(tt.in))
			if code(err) != tt.want {
				t.Fatalf("Activate = %v, want %q", err, tt.want)
			}
			if got := fieldsOf(err); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
			if len(store.changes) != 0 {
				t.Fatalf("a refused activation changed %v", store.changes)
			}
		})
	}
}

func TestWebhooksRotateSecret(t *testing.T) {
	s, store, _ := newWebhooks()
	out, err := s.RotateSecret(as(alice), WebhookRef{ID: "wh_alice"}, Given(Rotation{}))
	if err != nil || !strings.HasPrefix(out.Secret, "whsec_") || !out.PreviousSecretsExpireAt.Equal(clock.Add(DefaultRotationGrace)) {
		t.Fatalf("RotateSecret = %+v, %v", out, err)
	}
	out, err = s.RotateSecret(as(alice), WebhookRef{ID: "wh_alice"}, Given(Rotation{GraceSeconds: ptr(0)}))
	if err != nil || out.PreviousSecretsExpireAt != nil {
		t.Fatalf("grace 0: %+v, %v; want no expiry", out, err)
	}
	if _, err := s.RotateSecret(as(alice), WebhookRef{ID: "wh_alice"}, Given(Rotation{GraceSeconds: ptr(-1)})); code(err) != herald.EInvalid {
		t.Fatalf("negative grace: %v", err)
	}
	if _, err := s.RotateSecret(as(member), WebhookRef{ID: "wh_org"}, Given(Rotation{})); code(err) != herald.EForbidden {
		t.Fatalf("member: %v", err)
	}
	if !slices.Equal(store.changes, []string{"rotate wh_alice 24h0m0s", "rotate wh_alice 0s"}) {
		t.Fatalf("changes %v", store.changes)
	}
}

func fieldsOf(err error) []string {
	herr, ok := err.(*herald.Error)
	if !ok {
		return nil
	}
	var f []string
	for _, d := range herr.Details {
		f = append(f, d.Field)
	}
	return f
}

func settingsInput(t *testing.T, refused bool, in WebhookSettings) Input[WebhookSettings] {
	return func() (WebhookSettings, error) {
		if refused {
			t.Error("the settings were decoded for a refused caller")
		}
		return in, nil
	}
}

func TestWebhooksCreate(t *testing.T) {
	t.Run("a new webhook takes the preset's defaults, the path's owner and a secret", func(t *testing.T) {
		s, store, _ := newWebhooks()
		s.DisableAfter = time.Hour
		out, err := s.Create(as(owner), orgA, Given(WebhookSettings{Name: " n ", URL: "https://example.com/h", Events: []string{"order.created"}}))
		if err != nil {
			t.Fatal(err)
		}
		w := out.Webhook
		if w.OrganizationID != "org_a" || w.UserID != "" || !strings.HasPrefix(w.ID, "wh_") || w.Name != "n" ||
			w.Status != herald.WebhookInactive || w.DisableAfterSeconds != 3600 || w.TimeoutSeconds == 0 ||
			!strings.HasPrefix(out.Secret, w.SecretPrefix) {
			t.Fatalf("created %+v, secret %q", w, out.Secret)
		}
		if !slices.Equal(store.changes, []string{"create n"}) {
			t.Fatalf("changes %v", store.changes)
		}
	})
	tests := []struct {
		name   string
		caller herald.Principal
		owner  herald.Owner
		in     WebhookSettings
		want   string
		fields []string
	}{
		{"a member may not create", member, orgA, WebhookSettings{}, herald.EForbidden, nil},
		{"an outsider does not see the owner", alice, orgA, WebhookSettings{}, herald.ENotFound, nil},
		{"an unknown owner is not found", admin, herald.Owner{UserID: "usr_gone"}, WebhookSettings{}, herald.ENotFound, nil},
		{"the URL policy, the catalog and the preset are checked", alice, persAli,
			WebhookSettings{URL: "https://blocked.example/", Events: []string{"order.old"}, Preset: "nope"},
			herald.EInvalid, []string{"preset", "url", "events[0]"}},
		{"an active webhook needs events", alice, persAli,
			WebhookSettings{URL: "https://example.com/", Active: ptr(true)}, herald.EInvalid, []string{"events"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, store, _ := newWebhooks()
			_, err := s.Create(as(tt.caller), tt.owner, settingsInput(t, tt.want != herald.EInvalid, tt.in))
			if code(err) != tt.want {
				t.Fatalf("Create = %v, want %q", err, tt.want)
			}
			if got := fieldsOf(err); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
			if len(store.changes) != 0 {
				t.Fatalf("a refused create changed %v", store.changes)
			}
		})
	}
}

func TestWebhooksReplaceAndPatch(t *testing.T) {
	t.Run("a replace keeps the status unless active is given", func(t *testing.T) {
		s, store, _ := newWebhooks()
		w, err := s.Replace(as(owner), WebhookRef{ID: "wh_org", Owner: &orgA}, Given(WebhookSettings{URL: "https://example.com/new"}))
		if err != nil || w.Status != herald.WebhookDisabled || w.URL != "https://example.com/new" || w.OrganizationID != "org_a" {
			t.Fatalf("Replace = %+v, %v", w, err)
		}
		if !slices.Equal(store.changes, []string{"update wh_org"}) {
			t.Fatalf("changes %v", store.changes)
		}
	})
	t.Run("a patch starts from the current settings", func(t *testing.T) {
		s, store, _ := newWebhooks()
		var seen WebhookSettings
		w, err := s.Patch(as(alice), WebhookRef{ID: "wh_alice"}, func(cur WebhookSettings) (WebhookSettings, error) {
			seen = cur
			cur.Name, cur.Active = "renamed", ptr(true)
			return cur, nil
		})
		if err != nil || w.Name != "renamed" || w.Status != herald.WebhookActive || seen.URL != "https://example.com/a" {
			t.Fatalf("Patch = %+v, %v (current %+v)", w, err, seen)
		}
		if !slices.Equal(store.changes, []string{"update wh_alice with status"}) {
			t.Fatalf("changes %v", store.changes)
		}
	})
	t.Run("a member may neither replace nor patch, and nothing is decoded", func(t *testing.T) {
		s, store, _ := newWebhooks()
		if _, err := s.Replace(as(member), WebhookRef{ID: "wh_org"}, settingsInput(t, true, WebhookSettings{})); code(err) != herald.EForbidden {
			t.Fatalf("Replace = %v", err)
		}
		_, err := s.Patch(as(member), WebhookRef{ID: "wh_org"}, func(WebhookSettings) (WebhookSettings, error) {
			t.Error("the patch was applied for a refused caller")
			return WebhookSettings{}, nil
		})
		if code(err) != herald.EForbidden || len(store.changes) != 0 {
			t.Fatalf("Patch = %v, changes %v", err, store.changes)
		}
	})
}
