package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/netguard"
	"github.com/herald-webhooks/herald/internal/signing"
)

// WebhookStore is what the webhooks service reads and changes.
type WebhookStore interface {
	WebhookGetter
	ListWebhooks(ctx context.Context, owner herald.Owner, after string, limit int) ([]*herald.Webhook, error)
	// DeleteWebhook soft-deletes the webhook and cancels its pending deliveries, which it returns.
	DeleteWebhook(ctx context.Context, id string) ([]herald.CancelledDelivery, error)
	SetWebhookStatus(ctx context.Context, id string, status herald.WebhookStatus) (now, before *herald.Webhook, err error)
	HeldDeliveries(ctx context.Context, webhookID string) (n int, oldest *time.Time, err error)
	RotateSecret(ctx context.Context, id, secret string, grace time.Duration) (*herald.Webhook, error)
	CreateWebhook(ctx context.Context, w *herald.Webhook, secret string) error
	// UpdateWebhook saves w's settings, and its status when setStatus.
	UpdateWebhook(ctx context.Context, w *herald.Webhook, setStatus bool) (*herald.Webhook, error)
	ReplayStore
}

// URLPolicy is which webhook URLs this deployment sends to (netguard.Policy).
type URLPolicy interface {
	CheckURL(raw string) error
}

// WebhookWorkflows is what the webhooks service starts in Temporal.
type WebhookWorkflows interface {
	ReplayStarter
	StartCancelDeliveries(ctx context.Context, webhookID string, status herald.DeliveryStatus, at time.Time) (workflowID string, err error)
}

// Webhooks serves the webhook lifecycle: create, list, read, replace, patch, delete, activate
// (with the recovery of what a disable held), deactivate and rotate the signing secret.
type Webhooks struct {
	Store     WebhookStore
	Dir       Directory
	URLs      URLPolicy
	Catalog   EventCatalog
	Workflows WebhookWorkflows
	Tests     TestSendStore // test sends (Test)
	Sender    TestSender
	Auth      Authorizer
	Logger    *slog.Logger
	Now       func() time.Time // time.Now when nil
	// DisableAfter is how long a new webhook must fail continuously before it is disabled,
	// unless its settings or preset say otherwise; DefaultDisableAfter when 0.
	DisableAfter time.Duration
}

func (s *Webhooks) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// WebhookRef names a webhook: by its id alone (/webhooks/{id}), or under an owner's path,
// where a webhook of another owner is not found.
type WebhookRef struct {
	ID    string
	Owner *herald.Owner // nil for by id alone
}

// open is the webhook ref names, for a caller who may do acc to it. Under an owner's path the
// caller is authorized for that owner before the webhook is read, as the path names it.
func (s *Webhooks) open(ctx context.Context, ref WebhookRef, acc Access) (*herald.Webhook, error) {
	if ref.Owner == nil {
		return webhookFor(ctx, s.Store, s.Auth, ref.ID, acc)
	}
	if err := s.Auth.Owner(ctx, *ref.Owner, acc); err != nil {
		return nil, err
	}
	w, err := s.Store.Webhook(ctx, ref.ID)
	if err != nil {
		return nil, err
	}
	if ownerOf(w) != *ref.Owner {
		return nil, herald.Errorf(herald.ENotFound, "webhook not found")
	}
	return w, nil
}

// WebhookPage is a page of an owner's webhooks: its size and the cursor (a webhook id).
type WebhookPage struct {
	Limit  int
	Cursor string
}

// List is one page of an owner's webhooks, oldest first.
func (s *Webhooks) List(ctx context.Context, owner herald.Owner, in Input[WebhookPage]) (Page[*herald.Webhook], error) {
	if err := s.Auth.Owner(ctx, owner, Read); err != nil {
		return Page[*herald.Webhook]{}, err
	}
	if err := ownerExists(ctx, s.Dir, owner); err != nil {
		return Page[*herald.Webhook]{}, err
	}
	q, err := in()
	if err != nil {
		return Page[*herald.Webhook]{}, err
	}
	hooks, err := s.Store.ListWebhooks(ctx, owner, q.Cursor, q.Limit+1)
	if err != nil {
		return Page[*herald.Webhook]{}, err
	}
	return pageOf(hooks, q.Limit, func(w *herald.Webhook) string { return w.ID }), nil
}

// Get is one webhook, for a caller who may read it.
func (s *Webhooks) Get(ctx context.Context, ref WebhookRef) (*herald.Webhook, error) {
	return s.open(ctx, ref, Read)
}

// Delete soft-deletes the webhook and stops its pending deliveries: they are marked cancelled
// in one statement, and a cancel-deliveries workflow cancels their delivery workflows, a few
// at a time, after the request has answered (a workflow not cancelled yet finds the delivery
// cancelled at its next attempt). The delivery log stays readable.
func (s *Webhooks) Delete(ctx context.Context, ref WebhookRef) error {
	w, err := s.open(ctx, ref, Write)
	if err != nil {
		return err
	}
	cancelled, err := s.Store.DeleteWebhook(ctx, w.ID)
	if err != nil {
		return err
	}
	if len(cancelled) > 0 {
		id, err := s.Workflows.StartCancelDeliveries(ctx, w.ID, herald.DeliveryCancelled, cancelled[0].UpdatedAt)
		if err != nil && s.Logger != nil {
			s.Logger.Warn("start cancel-deliveries workflow", "workflow_id", id, "webhook_id", w.ID,
				"cancelled_deliveries", len(cancelled), "error", err)
		}
	}
	return nil
}

// Activation is the input of an activation.
type Activation struct {
	// RecoverSince starts a replay of the webhook's held deliveries and of its failed ones
	// created since then (or since the oldest held one, when earlier): what the endpoint
	// missed while it was failing and disabled.
	RecoverSince *time.Time
}

// recoveryStatuses are the deliveries an activation's recovery sends again.
var recoveryStatuses = []herald.DeliveryStatus{herald.DeliveryHeld, herald.DeliveryFailed}

// Recovery is what an activation tells about the disable it ends and how to recover from it.
type Recovery struct {
	DisabledAt     *time.Time  `json:"disabled_at"`
	DisabledReason string      `json:"disabled_reason"`
	FailingSince   *time.Time  `json:"failing_since"`
	Held           int         `json:"held"` // deliveries held, waiting for a replay
	Replay         *ReplayView `json:"replay,omitempty"`
	Hint           string      `json:"hint,omitempty"`
}

// ActivatedWebhook is the answer of an activation: the webhook, and after a disable (or with
// recover_since) its recovery.
type ActivatedWebhook struct {
	*herald.Webhook
	Recovery *Recovery `json:"recovery,omitempty"`
}

// Activate makes the webhook active again (also from disabled, which clears the reason and
// the failure streak). It needs at least one event and a URL the current policy allows. With
// RecoverSince it starts a replay of the held and failed deliveries since then; after a
// disable without it, the answer says since when the webhook failed and how to recover.
func (s *Webhooks) Activate(ctx context.Context, ref WebhookRef, input Input[Activation]) (*ActivatedWebhook, error) {
	w, err := s.open(ctx, ref, Write)
	if err != nil {
		return nil, err
	}
	in, err := input()
	if err != nil {
		return nil, err
	}
	var d []herald.ErrorDetail
	if len(w.Events) == 0 {
		d = append(d, herald.ErrorDetail{Field: "events", Message: "a webhook needs at least one event to be active"})
	}
	if msg := URLProblem(s.URLs, w.URL); msg != "" {
		d = append(d, herald.ErrorDetail{Field: "url", Message: msg})
	}
	if in.RecoverSince != nil && in.RecoverSince.After(s.now()) {
		d = append(d, herald.ErrorDetail{Field: "recover_since", Message: "must not be in the future"})
	}
	if len(d) > 0 {
		return nil, &herald.Error{Code: herald.EInvalid, Message: "the webhook cannot be activated", Details: d}
	}
	now, before, err := s.Store.SetWebhookStatus(ctx, w.ID, herald.WebhookActive)
	if err != nil {
		return nil, err
	}
	out := &ActivatedWebhook{Webhook: now}
	if before.Status != herald.WebhookDisabled && in.RecoverSince == nil {
		return out, nil
	}
	rec := &Recovery{DisabledAt: before.DisabledAt, DisabledReason: before.DisabledReason, FailingSince: before.FailingSince}
	var oldestHeld *time.Time
	if rec.Held, oldestHeld, err = s.Store.HeldDeliveries(ctx, w.ID); err != nil {
		return nil, err
	}
	if in.RecoverSince != nil {
		// Every held delivery is recovered: one created before recover_since was still pending
		// (retrying) when the disable held it.
		since := *in.RecoverSince
		if oldestHeld != nil && oldestHeld.Before(since) {
			since = *oldestHeld
		}
		if rec.Replay, err = startReplay(ctx, s.Store, s.Workflows, now, ReplayRequest{Since: &since, Statuses: recoveryStatuses}); err != nil {
			return nil, err
		}
	} else {
		since := before.FailingSince
		if since == nil {
			since = before.DisabledAt
		}
		rec.Hint = "to resend what the endpoint missed, activate with {\"recover_since\": \"<time>\"} or " +
			"POST /api/v1/webhooks/" + w.ID + "/replay {\"status\": [\"held\", \"failed\"], \"since\": \"<time>\"}"
		if since != nil {
			rec.Hint += "; it has been failing since " + since.UTC().Format(time.RFC3339)
		}
	}
	out.Recovery = rec
	return out, nil
}

// Deactivate makes the webhook inactive: nothing is delivered to it until it is activated.
func (s *Webhooks) Deactivate(ctx context.Context, ref WebhookRef) (*herald.Webhook, error) {
	w, err := s.open(ctx, ref, Write)
	if err != nil {
		return nil, err
	}
	w, _, err = s.Store.SetWebhookStatus(ctx, w.ID, herald.WebhookInactive)
	return w, err
}

// Rotation bounds.
const (
	DefaultRotationGrace    = 24 * time.Hour
	maxRotationGraceSeconds = 30 * 24 * 3600
)

// Rotation is the input of a secret rotation: how long the old secret keeps signing, in
// seconds (nil for DefaultRotationGrace; 0 revokes it at once).
type Rotation struct {
	GraceSeconds *int
}

// RotatedWebhook is the answer of a rotation: the webhook with its new secret, shown once.
type RotatedWebhook struct {
	herald.WebhookWithSecret
	PreviousSecretsExpireAt *time.Time `json:"previous_secrets_expire_at"`
}

// RotateSecret gives the webhook a new secret (with its current prefix). The old one keeps
// signing for the rotation's grace.
func (s *Webhooks) RotateSecret(ctx context.Context, ref WebhookRef, input Input[Rotation]) (*RotatedWebhook, error) {
	w, err := s.open(ctx, ref, Write)
	if err != nil {
		return nil, err
	}
	in, err := input()
	if err != nil {
		return nil, err
	}
	grace := DefaultRotationGrace
	if in.GraceSeconds != nil {
		if *in.GraceSeconds < 0 || *in.GraceSeconds > maxRotationGraceSeconds {
			return nil, &herald.Error{Code: herald.EInvalid, Message: "invalid grace period",
				Details: []herald.ErrorDetail{{Field: "grace_seconds", Message: "must be between 0 and 2592000 (30 days)"}}}
		}
		grace = time.Duration(*in.GraceSeconds) * time.Second
	}
	secret := signing.NewSecret(w.SecretPrefix)
	rotated, err := s.Store.RotateSecret(ctx, w.ID, secret, grace)
	if err != nil {
		return nil, err
	}
	out := &RotatedWebhook{WebhookWithSecret: herald.WebhookWithSecret{Webhook: rotated, Secret: secret}}
	if grace > 0 {
		t := s.now().Add(grace).UTC()
		out.PreviousSecretsExpireAt = &t
	}
	return out, nil
}

// URLProblem is the reason raw is not an acceptable webhook URL under the policy, "" if it
// is.
func URLProblem(policy URLPolicy, raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > 2000 {
		return "must be at most 2000 characters"
	}
	err := policy.CheckURL(raw)
	var ue *netguard.URLError
	switch b := netguard.Blocked(err); {
	case err == nil:
		return ""
	case b != nil:
		return "must not point to " + b.Address + ", a " + b.Reason + " address this deployment does not send to"
	case errors.As(err, &ue):
		return ue.Message
	}
	return "is not an allowed URL"
}
