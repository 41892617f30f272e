package app

import (
	"context"
	"strings"
	"time"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/presets"
	"github.com/herald-webhooks/herald/internal/signing"
)

// WebhookSettings are a webhook's settings as a caller asks for them on create or replace
// (a patch is merged into the current settings first): pointers tell an omitted field from a
// zero one, and the omitted ones take their preset's defaults. The API's request body is the
// same struct with the REST names.
type WebhookSettings struct {
	Name                 string
	Description          string
	URL                  string
	Events               []string
	Active               *bool
	Headers              map[string]string
	SensitiveHeaders     []string
	EventHeader          string
	TimeoutSeconds       *int
	Format               string
	Retry                *herald.RetryPolicy
	Signing              *herald.Signing
	SecretPrefix         string
	DisableAfterFailures *int
	DisableAfterSeconds  *int
	// Preset names a seed product's settings (package presets) used as the defaults of the
	// fields the request omits; on create and replace.
	Preset string
}

// SettingsOf are the settings that would set w's current ones (without Active): what a patch
// is merged into.
func SettingsOf(w *herald.Webhook) WebhookSettings {
	retry, sg := w.Retry, w.Signing
	timeout, daf, das := w.TimeoutSeconds, w.DisableAfterFailures, w.DisableAfterSeconds
	return WebhookSettings{
		Name: w.Name, Description: w.Description, URL: w.URL, Events: w.Events, Headers: w.Headers,
		SensitiveHeaders: w.SensitiveHeaders, EventHeader: w.EventHeader, TimeoutSeconds: &timeout, Format: w.Format,
		Retry: &retry, Signing: &sg, SecretPrefix: w.SecretPrefix, DisableAfterFailures: &daf, DisableAfterSeconds: &das,
	}
}

// DefaultDisableAfter is how long a webhook fails continuously before it is disabled, when
// neither the request, its preset nor the deployment (Webhooks.DisableAfter) says otherwise.
const DefaultDisableAfter = 24 * time.Hour

// PresetDefaults are the settings a request's omitted fields take: its preset's, or Herald's
// (the standard preset) when it names none.
func PresetDefaults(name string) (presets.Preset, bool) {
	if name == "" {
		name = "standard"
	}
	return presets.Get(name)
}

// EventCatalog is what webhook settings are checked against: the catalog's event types.
type EventCatalog interface {
	EventTypes(ctx context.Context) ([]herald.EventType, error)
}

// settle is the webhook in describes, completed with its preset's defaults, checked with
// herald.Webhook.Validate against the URL policy and the catalog. With current (a replace
// or a patch), the status is kept unless Active is given, and the owner, id, hint and
// timestamps are current's.
func (s *Webhooks) settle(ctx context.Context, in WebhookSettings, current *herald.Webhook) (*herald.Webhook, error) {
	var d []herald.ErrorDetail
	w := &herald.Webhook{Status: herald.WebhookInactive}
	if current != nil {
		*w = *current
	}
	w.Name, w.Description, w.URL = strings.TrimSpace(in.Name), in.Description, strings.TrimSpace(in.URL)
	w.Events, w.Headers, w.EventHeader = in.Events, in.Headers, in.EventHeader
	w.SensitiveHeaders = in.SensitiveHeaders
	preset, ok := PresetDefaults(in.Preset)
	if !ok {
		names := []string{}
		for _, p := range presets.All() {
			names = append(names, p.Name)
		}
		d = append(d, herald.ErrorDetail{Field: "preset", Message: "unknown preset; one of " + strings.Join(names, ", ")})
		preset, _ = PresetDefaults("") // the other fields are checked against Herald's defaults
	}
	w.TimeoutSeconds, w.Format, w.Retry = preset.TimeoutSeconds, preset.Format, preset.Retry
	w.SecretPrefix, w.DisableAfterFailures = preset.SecretPrefix, preset.DisableAfterFailures
	w.Headers = preset.WithHeaders(w.Headers)
	w.DisableAfterSeconds = s.disableAfterSeconds()
	if preset.DisableAfterSeconds != nil {
		w.DisableAfterSeconds = *preset.DisableAfterSeconds
	}
	if w.EventHeader == "" {
		w.EventHeader = preset.EventHeader
	}
	if in.Signing == nil {
		sg := preset.Signing
		in.Signing = &sg
	}
	if w.Events == nil {
		w.Events = []string{}
	}
	if w.Headers == nil {
		w.Headers = map[string]string{}
	}
	if w.SensitiveHeaders == nil {
		w.SensitiveHeaders = []string{}
	}
	if in.TimeoutSeconds != nil {
		w.TimeoutSeconds = *in.TimeoutSeconds
	}
	if in.Format != "" {
		w.Format = in.Format
	}
	if in.Retry != nil {
		w.Retry = *in.Retry
	}
	w.Signing = completeSigning(in.Signing)
	if in.SecretPrefix != "" {
		w.SecretPrefix = in.SecretPrefix
	}
	if in.DisableAfterFailures != nil {
		w.DisableAfterFailures = *in.DisableAfterFailures
	}
	if in.DisableAfterSeconds != nil {
		w.DisableAfterSeconds = *in.DisableAfterSeconds
	}
	if in.Active != nil {
		w.Status, w.DisabledReason, w.DisabledAt = herald.WebhookInactive, "", nil
		if *in.Active {
			w.Status, w.ConsecutiveFailures, w.FailingSince = herald.WebhookActive, 0, nil
		}
	}
	known, err := s.knownEventTypes(ctx)
	if err != nil {
		return nil, err
	}
	d = append(d, w.Validate(herald.WebhookChecks{
		URL:       func(raw string) string { return URLProblem(s.URLs, raw) },
		EventType: func(name string) bool { return known[name] },
	})...)
	if len(d) > 0 {
		return nil, InvalidWebhook(d)
	}
	return w, nil
}

// InvalidWebhook is the error of webhook settings with the field errors d.
func InvalidWebhook(d []herald.ErrorDetail) error {
	return &herald.Error{Code: herald.EInvalid, Message: "the webhook is not valid", Details: d}
}

// knownEventTypes are the catalog's unarchived event types, the ones a webhook may name.
func (s *Webhooks) knownEventTypes(ctx context.Context) (map[string]bool, error) {
	known, err := s.Catalog.EventTypes(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, et := range known {
		if !et.Archived {
			names[et.Name] = true
		}
	}
	return names, nil
}

// completeSigning completes a webhook's signing settings (SPEC section 6); nil is the standard
// scheme. The hmac-sha256 fields are dropped for the other schemes, so that a patch of the
// scheme alone switches a webhook back to standard. Webhook.Validate checks the result.
func completeSigning(in *herald.Signing) herald.Signing {
	if in == nil {
		return herald.Signing{Scheme: herald.SchemeStandard}
	}
	sg := in.Normalize()
	if sg.Scheme == herald.SchemeStandard || sg.Scheme == herald.SchemeNone {
		sg = herald.Signing{Scheme: sg.Scheme}
	}
	return sg
}

// disableAfterSeconds is the deployment's failing duration for webhooks that set none.
func (s *Webhooks) disableAfterSeconds() int {
	if s.DisableAfter > 0 {
		return int(s.DisableAfter / time.Second)
	}
	return int(DefaultDisableAfter / time.Second)
}

// Create adds a webhook to an owner, with a new signing secret: the answer is, with a
// rotation's, the only one that shows a secret.
func (s *Webhooks) Create(ctx context.Context, owner herald.Owner, input Input[WebhookSettings]) (*herald.WebhookWithSecret, error) {
	if err := s.Auth.Owner(ctx, owner, Write); err != nil {
		return nil, err
	}
	if err := ownerExists(ctx, s.Dir, owner); err != nil {
		return nil, err
	}
	in, err := input()
	if err != nil {
		return nil, err
	}
	w, err := s.settle(ctx, in, nil)
	if err != nil {
		return nil, err
	}
	w.UserID, w.OrganizationID = owner.UserID, owner.OrganizationID
	w.ID = herald.NewID("wh_")
	secret := signing.NewSecret(w.SecretPrefix)
	if err := s.Store.CreateWebhook(ctx, w, secret); err != nil {
		return nil, err
	}
	return &herald.WebhookWithSecret{Webhook: w, Secret: secret}, nil
}

// Replace sets every setting of the webhook from the input, defaults for those it omits; the
// status is kept unless the input has Active.
func (s *Webhooks) Replace(ctx context.Context, ref WebhookRef, input Input[WebhookSettings]) (*herald.Webhook, error) {
	w, err := s.open(ctx, ref, Write)
	if err != nil {
		return nil, err
	}
	in, err := input()
	if err != nil {
		return nil, err
	}
	return s.save(ctx, w, in)
}

// Patch changes the settings patch makes of the webhook's current ones (SettingsOf); those
// it leaves are kept.
func (s *Webhooks) Patch(ctx context.Context, ref WebhookRef, patch func(current WebhookSettings) (WebhookSettings, error)) (*herald.Webhook, error) {
	w, err := s.open(ctx, ref, Write)
	if err != nil {
		return nil, err
	}
	in, err := patch(SettingsOf(w))
	if err != nil {
		return nil, err
	}
	return s.save(ctx, w, in)
}

func (s *Webhooks) save(ctx context.Context, current *herald.Webhook, in WebhookSettings) (*herald.Webhook, error) {
	w, err := s.settle(ctx, in, current)
	if err != nil {
		return nil, err
	}
	return s.Store.UpdateWebhook(ctx, w, in.Active != nil)
}
