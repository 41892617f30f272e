package app

import (
	"slices"
	"testing"
	"time"

	"github.com/herald-webhooks/herald"
)

func newControl() (*Control, *memStore, *memWorkflows) {
	store, wf := newMemStore(), &memWorkflows{state: "running"}
	return &Control{Store: store, Workflows: wf, Auth: Authorizer{Roles: newRoles()}}, store, wf
}

func TestControlRedeliver(t *testing.T) {
	t.Run("the webhook's owner redelivers a failed delivery as a manual attempt", func(t *testing.T) {
		s, _, wf := newControl()
		out, err := s.Redeliver(as(alice), "dlv_failed")
		if err != nil || out.Trigger != herald.TriggerManual || out.WorkflowID != "redeliver/dlv_failed" || out.RunID != "run" {
			t.Fatalf("Redeliver = %+v, %v", out, err)
		}
		if !slices.Equal(wf.started, []string{"redeliver dlv_failed"}) {
			t.Fatalf("started %v", wf.started)
		}
	})
	tests := []struct {
		name     string
		caller   herald.Principal
		delivery string
		want     string
	}{
		{"a pending delivery is a conflict", alice, "dlv_pending", herald.EConflict},
		{"another tenant's delivery is not found", alice, "dlv_org", herald.ENotFound},
		{"an organization's member may not redeliver", member, "dlv_org", herald.EForbidden},
		{"an unknown delivery is not found", alice, "dlv_none", herald.ENotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, wf := newControl()
			if _, err := s.Redeliver(as(tt.caller), tt.delivery); code(err) != tt.want {
				t.Fatalf("Redeliver = %v, want %q", err, tt.want)
			}
			if len(wf.started) != 0 {
				t.Fatalf("started %v for a refused redelivery", wf.started)
			}
		})
	}
}

func TestControlCancel(t *testing.T) {
	t.Run("a pending delivery's workflow is cancelled and the delivery marked cancelled", func(t *testing.T) {
		s, store, wf := newControl()
		d, err := s.Cancel(as(alice), "dlv_pending")
		if err != nil || d.Status != herald.DeliveryCancelled {
			t.Fatalf("Cancel = %+v, %v", d, err)
		}
		if !slices.Equal(wf.started, []string{"cancel dlv_pending"}) || !slices.Equal(store.changes, []string{"finish dlv_pending cancelled"}) {
			t.Fatalf("workflows %v, store %v", wf.started, store.changes)
		}
	})
	tests := []struct {
		name     string
		caller   herald.Principal
		delivery string
		want     string
	}{
		{"a final delivery is a conflict", alice, "dlv_failed", herald.EConflict},
		{"another tenant's delivery is not found", alice, "dlv_org", herald.ENotFound},
		{"a member may not cancel", member, "dlv_org", herald.EForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, store, wf := newControl()
			if _, err := s.Cancel(as(tt.caller), tt.delivery); code(err) != tt.want {
				t.Fatalf("Cancel = %v, want %q", err, tt.want)
			}
			if len(wf.started)+len(store.changes) != 0 {
				t.Fatalf("a refused cancel changed %v %v", wf.started, store.changes)
			}
		})
	}
}

func TestControlReplay(t *testing.T) {
	since, until := time.Unix(1000, 0), time.Unix(2000, 0)
	t.Run("a replay of failed deliveries by default is recorded and started", func(t *testing.T) {
		s, store, wf := newControl()
		v, err := s.Replay(as(owner), "wh_org", Given(ReplayRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		if v.State != "running" || !slices.Equal(v.Status, []herald.DeliveryStatus{herald.DeliveryFailed}) || v.WorkflowID != "replay/"+v.ID {
			t.Fatalf("view = %+v", v)
		}
		if !slices.Equal(store.changes, []string{"replay wh_org"}) || !slices.Equal(wf.started, []string{"replay wh_org"}) {
			t.Fatalf("store %v, workflows %v", store.changes, wf.started)
		}
	})
	tests := []struct {
		name   string
		caller herald.Principal
		req    ReplayRequest
		want   string
	}{
		{"a member may not replay", member, ReplayRequest{}, herald.EForbidden},
		{"an outsider does not see the webhook", alice, ReplayRequest{}, herald.ENotFound},
		{"pending is not replayable", owner, ReplayRequest{Statuses: []herald.DeliveryStatus{herald.DeliveryPending}}, herald.EInvalid},
		{"until must be after since", owner, ReplayRequest{Since: &until, Until: &since}, herald.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, store, _ := newControl()
			if _, err := s.Replay(as(tt.caller), "wh_org", Given(tt.req)); code(err) != tt.want {
				t.Fatalf("Replay = %v, want %q", err, tt.want)
			}
			if len(store.changes) != 0 {
				t.Fatalf("a refused replay changed %v", store.changes)
			}
		})
	}
	t.Run("a replay's progress is readable by a member, not by an outsider", func(t *testing.T) {
		s, _, _ := newControl()
		v, err := s.Replay(as(admin), "wh_org", Given(ReplayRequest{Since: &since}))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ReplayStatus(as(member), v.ID)
		if err != nil || got.Progress.Found != 3 || got.State != "running" || !got.Since.Equal(since) {
			t.Fatalf("ReplayStatus = %+v, %v", got, err)
		}
		if _, err := s.ReplayStatus(as(alice), v.ID); code(err) != herald.ENotFound {
			t.Fatalf("outsider: %v, want not_found", err)
		}
	})
}

func TestStatsWebhook(t *testing.T) {
	store := newMemStore()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := &Stats{Store: store, Auth: Authorizer{Roles: newRoles()}, Now: func() time.Time { return now }}
	st, err := s.Webhook(as(member), "wh_org", Given(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Since.Equal(now.Add(-time.Hour)) || st.WindowSeconds != 3600 || *st.SuccessRate != 0.6667 || *st.FailureRate != 0.3333 {
		t.Fatalf("stats = %+v", st)
	}
	if _, err := s.Webhook(as(alice), "wh_org", Given(time.Hour)); code(err) != herald.ENotFound {
		t.Fatalf("outsider: %v, want not_found", err)
	}
	for _, bad := range []string{"0", "91d", "2161h", "soon"} {
		if _, err := ParseStatsWindow(bad); code(err) != herald.EInvalid {
			t.Errorf("window %q: %v, want invalid", bad, err)
		}
	}
	if d, err := ParseStatsWindow("7d"); err != nil || d != 7*24*time.Hour {
		t.Errorf("7d = %v, %v", d, err)
	}
}
