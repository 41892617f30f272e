package app

import (
	"context"
	"time"

	"github.com/herald-webhooks/herald"
)

// memStore is the parts of the store the webhooks, control and stats services use, in memory.
type memStore struct {
	webhooks   map[string]*herald.Webhook
	deliveries map[string]*herald.Delivery
	replays    map[string]*herald.Replay
	held       int
	oldestHeld *time.Time
	changes    []string // what changed, e.g. "delete wh_1", "status wh_1 active"
	reads      int      // webhooks read
}

func newMemStore() *memStore {
	return &memStore{
		webhooks: map[string]*herald.Webhook{
			"wh_alice": {ID: "wh_alice", UserID: "usr_alice", URL: "https://example.com/a", Events: []string{"*"},
				Status: herald.WebhookInactive, SecretPrefix: "whsec_", TimeoutSeconds: 30, Format: herald.FormatEnvelope,
				Retry: herald.DefaultRetryPolicy, Signing: herald.Signing{Scheme: herald.SchemeStandard}},
			"wh_org": {ID: "wh_org", OrganizationID: "org_a", URL: "https://example.com/o", Events: []string{"*"},
				Status: herald.WebhookDisabled, DisabledReason: "failing"},
		},
		deliveries: map[string]*herald.Delivery{
			"dlv_failed":  {ID: "dlv_failed", WebhookID: "wh_alice", EventID: "evt_1", Status: herald.DeliveryFailed},
			"dlv_pending": {ID: "dlv_pending", WebhookID: "wh_alice", EventID: "evt_2", Status: herald.DeliveryPending},
			"dlv_org":     {ID: "dlv_org", WebhookID: "wh_org", EventID: "evt_3", Status: herald.DeliveryFailed},
		},
		replays: map[string]*herald.Replay{},
	}
}

func (m *memStore) Webhook(_ context.Context, id string) (*herald.Webhook, error) {
	m.reads++
	w, ok := m.webhooks[id]
	if !ok {
		return nil, herald.Errorf(herald.ENotFound, "webhook not found")
	}
	c := *w
	return &c, nil
}

func (m *memStore) ListWebhooks(_ context.Context, owner herald.Owner, after string, limit int) ([]*herald.Webhook, error) {
	var out []*herald.Webhook
	for _, id := range []string{"wh_alice", "wh_org"} {
		if w := m.webhooks[id]; w != nil && ownerOf(w) == owner && id > after && len(out) < limit {
			out = append(out, w)
		}
	}
	return out, nil
}

func (m *memStore) DeleteWebhook(_ context.Context, id string) ([]herald.CancelledDelivery, error) {
	m.changes = append(m.changes, "delete "+id)
	delete(m.webhooks, id)
	return []herald.CancelledDelivery{{ID: "dlv_pending", UpdatedAt: time.Unix(100, 0)}}, nil
}

func (m *memStore) SetWebhookStatus(_ context.Context, id string, status herald.WebhookStatus) (now, before *herald.Webhook, err error) {
	m.changes = append(m.changes, "status "+id+" "+string(status))
	old := *m.webhooks[id]
	m.webhooks[id].Status, m.webhooks[id].DisabledReason = status, ""
	n := *m.webhooks[id]
	return &n, &old, nil
}

func (m *memStore) HeldDeliveries(context.Context, string) (int, *time.Time, error) {
	return m.held, m.oldestHeld, nil
}

func (m *memStore) RotateSecret(_ context.Context, id, secret string, grace time.Duration) (*herald.Webhook, error) {
	m.changes = append(m.changes, "rotate "+id+" "+grace.String())
	return m.Webhook(context.Background(), id)
}

func (m *memStore) CreateReplay(_ context.Context, r *herald.Replay) error {
	m.changes = append(m.changes, "replay "+r.WebhookID)
	r.CreatedAt = time.Unix(200, 0)
	m.replays[r.ID] = r
	return nil
}

func (m *memStore) Replay(_ context.Context, id string) (*herald.Replay, error) {
	r, ok := m.replays[id]
	if !ok {
		return nil, herald.Errorf(herald.ENotFound, "replay not found")
	}
	return r, nil
}

func (m *memStore) Delivery(_ context.Context, id string) (*herald.Delivery, error) {
	d, ok := m.deliveries[id]
	if !ok {
		return nil, herald.Errorf(herald.ENotFound, "delivery not found")
	}
	c := *d
	return &c, nil
}

func (m *memStore) FinishDelivery(_ context.Context, id string, status herald.DeliveryStatus) error {
	m.changes = append(m.changes, "finish "+id+" "+string(status))
	m.deliveries[id].Status = status
	return nil
}

func (m *memStore) WebhookStats(_ context.Context, id string, since time.Time) (*herald.WebhookStats, error) {
	st := &herald.WebhookStats{}
	st.Deliveries.Total, st.Deliveries.Succeeded, st.Deliveries.Failed = 4, 2, 1
	return st, nil
}

// memWorkflows records what the services start and cancel.
type memWorkflows struct {
	started []string
	state   string
}

func (w *memWorkflows) StartRedelivery(_ context.Context, d *herald.Delivery, _ *herald.Webhook) (Run, error) {
	w.started = append(w.started, "redeliver "+d.ID)
	return Run{WorkflowID: "redeliver/" + d.ID, RunID: "run"}, nil
}

func (w *memWorkflows) CancelDelivery(_ context.Context, d *herald.Delivery) error {
	w.started = append(w.started, "cancel "+d.ID)
	return nil
}

func (w *memWorkflows) StartReplay(_ context.Context, r *herald.Replay, _ *herald.Webhook) (string, error) {
	w.started = append(w.started, "replay "+r.WebhookID)
	return "replay/" + r.ID, nil
}

func (w *memWorkflows) Replay(_ context.Context, id string) (ReplayRun, error) {
	return ReplayRun{WorkflowID: "replay/" + id, State: w.state, Progress: ReplayProgress{Found: 3}}, nil
}

func (w *memWorkflows) StartCancelDeliveries(_ context.Context, webhookID string, status herald.DeliveryStatus, _ time.Time) (string, error) {
	w.started = append(w.started, "cancel-deliveries "+webhookID+" "+string(status))
	return "cancel/" + webhookID, nil
}

// allowAll is a URL policy that allows every URL but those of blocked.example.
type allowAll struct{}

func (allowAll) CheckURL(raw string) error {
	if raw == "https://blocked.example/" {
		return herald.Errorf(herald.EInvalid, "blocked")
	}
	return nil
}

var (
	member = user("usr_member")
	owner  = user("usr_owner")
)

func as(p herald.Principal) context.Context { return WithPrincipal(context.Background(), p) }

func (m *memStore) CreateWebhook(_ context.Context, w *herald.Webhook, secret string) error {
	m.changes = append(m.changes, "create "+w.Name)
	c := *w
	m.webhooks[w.ID] = &c
	return nil
}

func (m *memStore) UpdateWebhook(_ context.Context, w *herald.Webhook, setStatus bool) (*herald.Webhook, error) {
	change := "update " + w.ID
	if setStatus {
		change += " with status"
	}
	m.changes = append(m.changes, change)
	c := *w
	m.webhooks[w.ID] = &c
	return &c, nil
}

// memCatalog is an event catalog of order.created, and order.old archived.
type memCatalog struct{}

func (memCatalog) EventTypes(context.Context) ([]herald.EventType, error) {
	return []herald.EventType{{Name: "order.created"}, {Name: "order.old", Archived: true}}, nil
}
