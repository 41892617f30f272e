package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/netguard"
	"github.com/herald-webhooks/herald/internal/payload"
	"github.com/herald-webhooks/herald/internal/postgres"
	"github.com/herald-webhooks/herald/internal/presets"
	"github.com/herald-webhooks/herald/internal/signing"
)

// webhookRoutes serves the webhook lifecycle on both scopes (Pocket's organization paths and
// the personal twin) and the by-id actions. Gin needs one wildcard name per path position, so
// both scopes use :id for the owner and :webhookId for the webhook.
func (s *Server) webhookRoutes(g *gin.RouterGroup) {
	for _, sc := range []scope{orgScope, userScope} {
		base := sc.path()
		g.GET(base, s.listWebhooks(sc))
		g.POST(base, s.createWebhook(sc))
		one := base + "/:webhookId"
		g.GET(one, s.scoped(sc, read, s.getWebhook))
		g.PUT(one, s.scoped(sc, write, s.replaceWebhook))
		g.PATCH(one, s.scoped(sc, write, s.patchWebhook))
		g.DELETE(one, s.scoped(sc, write, s.deleteWebhook))
		g.POST(one+"/test", s.scoped(sc, write, s.testWebhook))
	}
	g.POST("/webhooks/:id/activate", s.byID(write, s.activateWebhook))
	g.POST("/webhooks/:id/deactivate", s.byID(write, s.deactivateWebhook))
	g.POST("/webhooks/:id/rotate-secret", s.byID(write, s.rotateSecret))
	g.POST("/webhooks/:id/test", s.byID(write, s.testWebhook))
}

type scope int

const (
	userScope scope = iota
	orgScope
)

func (sc scope) path() string {
	if sc == orgScope {
		return "/organization/:id/webhooks"
	}
	return "/users/:id/webhooks"
}

func (sc scope) owner(c *gin.Context) postgres.Owner {
	if sc == orgScope {
		return postgres.Owner{OrganizationID: c.Param("id")}
	}
	return postgres.Owner{UserID: c.Param("id")}
}

func ownerOf(w *herald.Webhook) postgres.Owner {
	return postgres.Owner{UserID: w.UserID, OrganizationID: w.OrganizationID}
}

// webhookHandler handles a request about one webhook the caller may access.
type webhookHandler func(c *gin.Context, w *herald.Webhook)

// scoped loads the path's webhook under the path's owner; a webhook of another owner is a 404.
func (s *Server) scoped(sc scope, a access, h webhookHandler) gin.HandlerFunc {
	return func(c *gin.Context) {
		owner := sc.owner(c)
		if err := s.authorizeOwner(c, owner, a); err != nil {
			s.writeError(c, err)
			return
		}
		w, err := s.Store.Webhook(c.Request.Context(), c.Param("webhookId"))
		if err != nil {
			s.writeError(c, err)
			return
		}
		if ownerOf(w) != owner {
			s.writeError(c, herald.Errorf(herald.ENotFound, "webhook not found"))
			return
		}
		h(c, w)
	}
}

// byID loads the webhook of /webhooks/:id and checks the caller's access to its owner.
func (s *Server) byID(a access, h webhookHandler) gin.HandlerFunc {
	return func(c *gin.Context) {
		w, err := s.webhookFor(c, c.Param("id"), a)
		if err != nil {
			s.writeError(c, err)
			return
		}
		h(c, w)
	}
}

// webhookRequest is the body of a webhook create or replace (PATCH merges into the current
// settings first). Pointers tell an omitted field from a zero one.
type webhookRequest struct {
	Name                 string              `json:"name"`
	Description          string              `json:"description"`
	URL                  string              `json:"url"`
	Events               []string            `json:"events"`
	Active               *bool               `json:"active,omitempty"`
	Headers              map[string]string   `json:"headers"`
	SensitiveHeaders     []string            `json:"sensitive_headers"`
	EventHeader          string              `json:"event_header"`
	TimeoutSeconds       *int                `json:"timeout_seconds"`
	Format               string              `json:"format"`
	Retry                *herald.RetryPolicy `json:"retry"`
	Signing              *herald.Signing     `json:"signing"`
	SecretPrefix         string              `json:"secret_prefix"`
	DisableAfterFailures *int                `json:"disable_after_failures"`
	DisableAfterSeconds  *int                `json:"disable_after_seconds"`
	// Preset names a seed product's settings (presets package) used as the defaults of the
	// fields the request omits; on create and replace.
	Preset string `json:"preset,omitempty"`
}

// readOnlyFields are the webhook's fields a request may not set, with how they change.
func (webhookRequest) readOnlyFields() map[string]string {
	const ro, owner = "read-only: Herald sets it", "read-only: the owner is the path's"
	return map[string]string{
		"status":               `changes only through POST /webhooks/{id}/activate and /deactivate (or "active": true or false in this body)`,
		"secret":               "read-only: change it with POST /webhooks/{id}/rotate-secret",
		"user_id":              owner,
		"organization_id":      owner,
		"id":                   ro,
		"secret_hint":          ro,
		"disabled_reason":      ro,
		"consecutive_failures": ro,
		"created_at":           ro,
		"updated_at":           ro,
	}
}

// newWebhookRequest is a request before decoding: a partial retry policy is completed with
// the default one's fields.
func newWebhookRequest() webhookRequest {
	r := herald.DefaultRetryPolicy
	return webhookRequest{Retry: &r}
}

// decodeWebhookRequest decodes a create or replace body; a partial retry policy is completed
// with the preset's policy when the body names a known preset, with the default one otherwise.
func decodeWebhookRequest(c *gin.Context) (webhookRequest, error) {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return webhookRequest{}, err
		}
		return webhookRequest{}, herald.Errorf(herald.EMalformed, "could not read the request body")
	}
	in := newWebhookRequest()
	var peek struct {
		Preset string `json:"preset"`
	}
	if json.Unmarshal(raw, &peek) == nil {
		if p, ok := presets.Get(peek.Preset); ok {
			r := p.Retry
			in.Retry = &r
		}
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(raw))
	return in, decodeJSON(c, &in)
}

// presetDefaults are the settings a request's omitted fields take: its preset's, or Herald's.
func presetDefaults(name string) (presets.Preset, bool) {
	if name == "" {
		name = "standard"
	}
	return presets.Get(name)
}

// requestOf is the request that would set w's current settings (without active).
func requestOf(w *herald.Webhook) webhookRequest {
	retry, sg := w.Retry, w.Signing
	timeout, daf, das := w.TimeoutSeconds, w.DisableAfterFailures, w.DisableAfterSeconds
	return webhookRequest{
		Name: w.Name, Description: w.Description, URL: w.URL, Events: w.Events, Headers: w.Headers,
		SensitiveHeaders: w.SensitiveHeaders, EventHeader: w.EventHeader, TimeoutSeconds: &timeout, Format: w.Format, Retry: &retry, Signing: &sg,
		SecretPrefix: w.SecretPrefix, DisableAfterFailures: &daf, DisableAfterSeconds: &das,
	}
}

// Defaults and bounds of webhook settings.
const (
	defaultTimeoutSeconds       = 30
	defaultDisableAfterFailures = 15
	maxDisableAfterFailures     = 1000
	maxDisableAfterSeconds      = 30 * 24 * 3600
	// DefaultDisableAfter is how long a webhook fails continuously before it is disabled, when
	// neither the request, its preset nor the deployment (Server.DisableAfter) says otherwise.
	DefaultDisableAfter     = 24 * time.Hour
	defaultRotationGrace    = 24 * time.Hour
	maxRotationGraceSeconds = 30 * 24 * 3600
)

var (
	headerName   = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]{1,100}$`)
	secretPrefix = regexp.MustCompile(`^[a-z]{1,10}_$`)
	reserved     = map[string]bool{"content-type": true, "content-length": true, "host": true,
		"webhook-id": true, "webhook-timestamp": true, "webhook-signature": true, "transfer-encoding": true, "connection": true}
)

// headerValue reports whether v can be sent as an HTTP header value (RFC 9110 field-value:
// no control characters but tab); Go's client refuses any other, so every attempt of a webhook
// saved with one would fail and count toward auto-disable.
func headerValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < ' ' && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}

func (s *Server) createWebhook(sc scope) gin.HandlerFunc {
	return func(c *gin.Context) {
		owner := sc.owner(c)
		if err := s.authorizeOwner(c, owner, write); err != nil {
			s.writeError(c, err)
			return
		}
		if err := s.ownerExists(c, sc); err != nil {
			s.writeError(c, err)
			return
		}
		in, err := decodeWebhookRequest(c)
		if err != nil {
			s.writeError(c, err)
			return
		}
		w, err := s.validateWebhook(c, in, nil)
		if err != nil {
			s.writeError(c, err)
			return
		}
		w.UserID, w.OrganizationID = owner.UserID, owner.OrganizationID
		w.ID = herald.NewID("wh_")
		secret := signing.NewSecret(w.SecretPrefix)
		if err := s.Store.CreateWebhook(c.Request.Context(), w, secret); err != nil {
			s.writeError(c, err)
			return
		}
		// With rotate-secret, the only answers that show a secret.
		c.PureJSON(http.StatusCreated, herald.WebhookWithSecret{Webhook: w, Secret: secret})
	}
}

// ownerExists is nil when the scope's user or organization is in the directory.
func (s *Server) ownerExists(c *gin.Context, sc scope) error {
	owner := sc.owner(c)
	exists, id := s.Store.UserExists, owner.UserID
	if sc == orgScope {
		exists, id = s.Store.OrganizationExists, owner.OrganizationID
	}
	ok, err := exists(c.Request.Context(), id)
	if err != nil {
		return err
	}
	if !ok {
		return herald.Errorf(herald.ENotFound, "owner not found")
	}
	return nil
}

func invalid(d []herald.ErrorDetail) error {
	return &herald.Error{Code: herald.EInvalid, Message: "the webhook is not valid", Details: d}
}

// validateWebhook checks a request field by field and returns the webhook it describes. With
// current (a replace or a patch), the status is kept unless active is given, and the owner,
// id, hint and timestamps are current's.
func (s *Server) validateWebhook(c *gin.Context, in webhookRequest, current *herald.Webhook) (*herald.Webhook, error) {
	var d []herald.ErrorDetail
	add := func(field, msg string) { d = append(d, herald.ErrorDetail{Field: field, Message: msg}) }
	w := &herald.Webhook{Status: herald.WebhookInactive}
	if current != nil {
		*w = *current
	}
	w.Name, w.Description, w.URL = strings.TrimSpace(in.Name), in.Description, strings.TrimSpace(in.URL)
	w.Events, w.Headers, w.EventHeader = in.Events, in.Headers, in.EventHeader
	w.SensitiveHeaders = in.SensitiveHeaders
	preset, ok := presetDefaults(in.Preset)
	if !ok {
		names := []string{}
		for _, p := range presets.All() {
			names = append(names, p.Name)
		}
		add("preset", "unknown preset; one of "+strings.Join(names, ", "))
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

	if len(w.Name) > 200 {
		add("name", "must be at most 200 characters")
	}
	if len(w.Description) > 2000 {
		add("description", "must be at most 2000 characters")
	}
	if msg := s.checkURL(w.URL); msg != "" {
		add("url", msg)
	}
	if w.Events == nil {
		w.Events = []string{}
	}
	eventDetails, err := s.checkEvents(c, w.Events)
	if err != nil {
		return nil, err
	}
	d = append(d, eventDetails...)
	if w.Headers == nil {
		w.Headers = map[string]string{}
	}
	if len(w.Headers) > 20 {
		add("headers", "at most 20 headers")
	}
	for k, v := range w.Headers {
		if !headerName.MatchString(k) || reserved[strings.ToLower(k)] {
			add("headers."+k, "not an allowed header name")
		} else if !headerValue(v) || len(v) > 2000 {
			add("headers."+k, "value must be one line of at most 2000 characters, without control characters")
		}
	}
	if w.SensitiveHeaders == nil {
		w.SensitiveHeaders = []string{}
	}
	if len(w.SensitiveHeaders) > 20 {
		add("sensitive_headers", "at most 20 header names")
	}
	marked := map[string]bool{}
	for i, k := range w.SensitiveHeaders {
		field := "sensitive_headers[" + strconv.Itoa(i) + "]"
		if !headerName.MatchString(k) {
			add(field, "not a header name")
		} else if marked[strings.ToLower(k)] {
			add(field, "duplicate")
		}
		marked[strings.ToLower(k)] = true
	}
	if w.EventHeader != "" && (!headerName.MatchString(w.EventHeader) || reserved[strings.ToLower(w.EventHeader)]) {
		add("event_header", "not an allowed header name")
	}
	if in.TimeoutSeconds != nil {
		w.TimeoutSeconds = *in.TimeoutSeconds
		if w.TimeoutSeconds < 1 || w.TimeoutSeconds > 60 {
			add("timeout_seconds", "must be between 1 and 60")
		}
	}
	if in.Format != "" {
		w.Format = in.Format
		if _, ok := payload.ShapeNamed(w.Format); !ok {
			add("format", "must be one of "+strings.Join(payload.ShapeNames(), ", "))
		}
	}
	if in.Retry != nil {
		w.Retry = *in.Retry
		d = append(d, w.Retry.Validate("retry.")...)
	}
	// The schedule depends on the policy and the timeout both, so a change to either is checked,
	// once both are valid on their own.
	if len(w.Retry.Validate("retry.")) == 0 && w.TimeoutSeconds <= 60 {
		d = append(d, w.Retry.ValidateSchedule("retry", w.TimeoutSeconds)...)
	}
	var sd []herald.ErrorDetail
	w.Signing, sd = validateSigning(in.Signing)
	d = append(d, sd...)
	for k := range w.Headers {
		for _, h := range []string{w.Signing.Header, w.Signing.TimestampHeader} {
			if h != "" && strings.EqualFold(k, h) {
				add("headers."+k, "is set by the signing settings")
			}
		}
	}
	if in.SecretPrefix != "" {
		w.SecretPrefix = in.SecretPrefix
		if !secretPrefix.MatchString(w.SecretPrefix) {
			add("secret_prefix", "1-10 lowercase letters and a trailing underscore, e.g. whsec_")
		}
	}
	if in.DisableAfterFailures != nil {
		w.DisableAfterFailures = *in.DisableAfterFailures
		if w.DisableAfterFailures < 0 || w.DisableAfterFailures > maxDisableAfterFailures {
			add("disable_after_failures", "must be between 0 (never) and 1000")
		}
	}
	if in.DisableAfterSeconds != nil {
		w.DisableAfterSeconds = *in.DisableAfterSeconds
		if w.DisableAfterSeconds < 0 || w.DisableAfterSeconds > maxDisableAfterSeconds {
			add("disable_after_seconds", "must be between 0 (the failure count alone decides) and 2592000 (30 days)")
		}
	}
	if in.Active != nil {
		w.Status, w.DisabledReason, w.DisabledAt = herald.WebhookInactive, "", nil
		if *in.Active {
			w.Status, w.ConsecutiveFailures, w.FailingSince = herald.WebhookActive, 0, nil
		}
	}
	if w.Status == herald.WebhookActive && len(w.Events) == 0 {
		add("events", "an active webhook needs at least one event")
	}
	if len(d) > 0 {
		return nil, invalid(d)
	}
	return w, nil
}

// checkURL is the reason raw is not an acceptable webhook URL under the URL policy, "" if it is.
func (s *Server) checkURL(raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > 2000 {
		return "must be at most 2000 characters"
	}
	err := s.URLPolicy.CheckURL(raw)
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

// checkEvents returns the field errors of an events list: known, unarchived types, or ["*"].
func (s *Server) checkEvents(c *gin.Context, events []string) ([]herald.ErrorDetail, error) {
	known, err := s.Store.EventTypes(c.Request.Context())
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, et := range known {
		if !et.Archived {
			names[et.Name] = true
		}
	}
	var d []herald.ErrorDetail
	seen := map[string]bool{}
	for i, e := range events {
		field := "events[" + strconv.Itoa(i) + "]"
		switch {
		case e == "*" && len(events) > 1:
			d = append(d, herald.ErrorDetail{Field: field, Message: `"*" must be the only entry`})
		case e != "*" && !names[e]:
			d = append(d, herald.ErrorDetail{Field: field, Message: "unknown event type " + strconv.Quote(e)})
		case seen[e]:
			d = append(d, herald.ErrorDetail{Field: field, Message: "duplicate"})
		}
		seen[e] = true
	}
	if len(events) > 500 {
		d = append(d, herald.ErrorDetail{Field: "events", Message: "at most 500 event types"})
	}
	return d, nil
}

// validateSigning checks and completes a webhook's signing settings (SPEC section 6); nil is
// the standard scheme. The hmac-sha256 fields are dropped for the other schemes, so that a
// PATCH of the scheme alone switches a webhook back to standard.
func validateSigning(in *herald.Signing) (herald.Signing, []herald.ErrorDetail) {
	if in == nil {
		return herald.Signing{Scheme: herald.SchemeStandard}, nil
	}
	sg := signing.Normalize(*in)
	if sg.Scheme == herald.SchemeStandard || sg.Scheme == herald.SchemeNone {
		sg = herald.Signing{Scheme: sg.Scheme}
	}
	return sg, signing.Validate(sg, "signing.")
}

func (s *Server) listWebhooks(sc scope) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.authorizeOwner(c, sc.owner(c), read); err != nil {
			s.writeError(c, err)
			return
		}
		if err := s.ownerExists(c, sc); err != nil {
			s.writeError(c, err)
			return
		}
		limit, err := pageLimit(c)
		if err != nil {
			s.writeError(c, err)
			return
		}
		hooks, err := s.Store.ListWebhooks(c.Request.Context(), sc.owner(c), c.Query("cursor"), limit+1)
		if err != nil {
			s.writeError(c, err)
			return
		}
		out := list[*herald.Webhook]{Data: hooks}
		if len(hooks) > limit {
			out.Data = hooks[:limit]
			out.NextCursor = hooks[limit-1].ID
		}
		c.PureJSON(http.StatusOK, out)
	}
}

func (s *Server) getWebhook(c *gin.Context, w *herald.Webhook) {
	c.PureJSON(http.StatusOK, w)
}

// replaceWebhook is PUT: every setting from the body, defaults for those it omits; the status
// is kept unless the body has active.
func (s *Server) replaceWebhook(c *gin.Context, w *herald.Webhook) {
	in, err := decodeWebhookRequest(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	s.saveWebhook(c, w, in)
}

// patchWebhook is PATCH as a JSON Merge Patch (RFC 7396) of the webhook's settings: given
// fields change, omitted ones stay, null resets a field to its default, and objects (headers,
// retry, signing) merge member by member.
func (s *Server) patchWebhook(c *gin.Context, w *herald.Webhook) {
	patch, err := decodePatch(c, webhookRequest{})
	if err != nil {
		s.writeError(c, err)
		return
	}
	base, _ := json.Marshal(requestOf(w))
	var doc map[string]any
	_ = json.Unmarshal(base, &doc)
	merged, _ := json.Marshal(mergePatch(doc, patch))
	if _, ok := patch["preset"]; ok {
		s.writeError(c, &herald.Error{Code: herald.EInvalid, Message: "the webhook is not valid",
			Details: []herald.ErrorDetail{{Field: "preset", Message: "applies on create and replace (PUT), not on PATCH"}}})
		return
	}
	in := newWebhookRequest()
	if err := decodeBytes(merged, &in); err != nil {
		s.writeError(c, err)
		return
	}
	s.saveWebhook(c, w, in)
}

// mergePatch applies an RFC 7396 merge patch to doc.
func mergePatch(doc, patch map[string]any) map[string]any {
	if doc == nil {
		doc = map[string]any{}
	}
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(doc, k)
		case map[string]any:
			dv, _ := doc[k].(map[string]any)
			doc[k] = mergePatch(dv, pv)
		default:
			doc[k] = v
		}
	}
	return doc
}

// decodeBytes decodes a JSON document built by the server from the client's values, with
// decodeJSON's errors.
func decodeBytes(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return &herald.Error{Code: herald.EMalformed, Message: "a field has the wrong type",
				Details: []herald.ErrorDetail{{Field: typeErr.Field, Message: "must be " + jsonKind(typeErr.Type.Kind().String())}}}
		}
		return herald.Errorf(herald.EMalformed, "request body is not valid JSON")
	}
	return nil
}

func (s *Server) saveWebhook(c *gin.Context, current *herald.Webhook, in webhookRequest) {
	w, err := s.validateWebhook(c, in, current)
	if err != nil {
		s.writeError(c, err)
		return
	}
	saved, err := s.Store.UpdateWebhook(c.Request.Context(), w, in.Active != nil)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, saved)
}

// deleteWebhook soft-deletes the webhook and stops its pending deliveries: they are marked
// cancelled in one statement, and a cancel-deliveries workflow cancels their delivery
// workflows, a few at a time, after the request has answered (a workflow not cancelled yet
// finds the delivery cancelled at its next attempt). The delivery log stays readable.
func (s *Server) deleteWebhook(c *gin.Context, w *herald.Webhook) {
	ctx := c.Request.Context()
	cancelled, err := s.Store.DeleteWebhook(ctx, w.ID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if len(cancelled) > 0 {
		id, err := activities.StartCancelDeliveries(ctx, s.Temporal, s.taskQueue(), w.ID,
			herald.DeliveryCancelled, cancelled[0].UpdatedAt)
		if err != nil {
			s.Logger.Warn("start cancel-deliveries workflow", "workflow_id", id, "webhook_id", w.ID,
				"cancelled_deliveries", len(cancelled), "error", err)
		}
	}
	c.Status(http.StatusNoContent)
}

// activateRequest is the optional body of an activation.
type activateRequest struct {
	// RecoverSince starts a replay of the webhook's held deliveries and of its failed ones
	// created since then (or since the oldest held one, when earlier): what the endpoint
	// missed while it was failing and disabled.
	RecoverSince *time.Time `json:"recover_since"`
}

// recoveryStatuses are the deliveries an activation's recovery sends again.
var recoveryStatuses = []string{herald.DeliveryHeld, herald.DeliveryFailed}

// recovery is what an activation tells about the disable it ends and how to recover from it.
type recovery struct {
	DisabledAt     *time.Time `json:"disabled_at"`
	DisabledReason string     `json:"disabled_reason"`
	FailingSince   *time.Time `json:"failing_since"`
	Held           int        `json:"held"` // deliveries held, waiting for a replay
	Replay         gin.H      `json:"replay,omitempty"`
	Hint           string     `json:"hint,omitempty"`
}

// activatedWebhook is the answer of an activation: the webhook, and after a disable (or with
// recover_since) its recovery.
type activatedWebhook struct {
	*herald.Webhook
	Recovery *recovery `json:"recovery,omitempty"`
}

// activateWebhook makes the webhook active again (also from disabled, which clears the reason
// and the failure streak). It needs at least one event and a URL the current policy allows.
// With recover_since it starts a replay of the held and failed deliveries since then; after a
// disable without it, the answer says since when the webhook failed and how to recover.
func (s *Server) activateWebhook(c *gin.Context, w *herald.Webhook) {
	var in activateRequest
	if err := decodeOptionalJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	var d []herald.ErrorDetail
	if len(w.Events) == 0 {
		d = append(d, herald.ErrorDetail{Field: "events", Message: "a webhook needs at least one event to be active"})
	}
	if msg := s.checkURL(w.URL); msg != "" {
		d = append(d, herald.ErrorDetail{Field: "url", Message: msg})
	}
	if in.RecoverSince != nil && in.RecoverSince.After(time.Now()) {
		d = append(d, herald.ErrorDetail{Field: "recover_since", Message: "must not be in the future"})
	}
	if len(d) > 0 {
		s.writeError(c, &herald.Error{Code: herald.EInvalid, Message: "the webhook cannot be activated", Details: d})
		return
	}
	ctx := c.Request.Context()
	now, before, err := s.Store.SetWebhookStatus(ctx, w.ID, herald.WebhookActive)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := activatedWebhook{Webhook: now}
	if before.Status != herald.WebhookDisabled && in.RecoverSince == nil {
		c.PureJSON(http.StatusOK, out)
		return
	}
	rec := &recovery{DisabledAt: before.DisabledAt, DisabledReason: before.DisabledReason, FailingSince: before.FailingSince}
	var oldestHeld *time.Time
	if rec.Held, oldestHeld, err = s.Store.HeldDeliveries(ctx, w.ID); err != nil {
		s.writeError(c, err)
		return
	}
	if in.RecoverSince != nil {
		// Every held delivery is recovered: one created before recover_since was still pending
		// (retrying) when the disable held it.
		since := *in.RecoverSince
		if oldestHeld != nil && oldestHeld.Before(since) {
			since = *oldestHeld
		}
		if rec.Replay, err = s.startReplay(c, now, &since, nil, recoveryStatuses); err != nil {
			s.writeError(c, err)
			return
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
	c.PureJSON(http.StatusOK, out)
}

func (s *Server) deactivateWebhook(c *gin.Context, w *herald.Webhook) {
	w, _, err := s.Store.SetWebhookStatus(c.Request.Context(), w.ID, herald.WebhookInactive)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.PureJSON(http.StatusOK, w)
}

// disableAfterSeconds is the deployment's failing duration for webhooks that set none.
func (s *Server) disableAfterSeconds() int {
	if s.DisableAfter > 0 {
		return int(s.DisableAfter / time.Second)
	}
	return int(DefaultDisableAfter / time.Second)
}

// rotatedWebhook is the answer of a rotation: the webhook with its new secret, shown once.
type rotatedWebhook struct {
	herald.WebhookWithSecret
	PreviousSecretsExpireAt *time.Time `json:"previous_secrets_expire_at"`
}

// rotateSecret gives the webhook a new secret (with its current prefix). The old one keeps
// signing for grace_seconds (default 24 h; 0 revokes it at once).
func (s *Server) rotateSecret(c *gin.Context, w *herald.Webhook) {
	var in struct {
		GraceSeconds *int `json:"grace_seconds"`
	}
	if err := decodeOptionalJSON(c, &in); err != nil {
		s.writeError(c, err)
		return
	}
	grace := defaultRotationGrace
	if in.GraceSeconds != nil {
		if *in.GraceSeconds < 0 || *in.GraceSeconds > maxRotationGraceSeconds {
			s.writeError(c, &herald.Error{Code: herald.EInvalid, Message: "invalid grace period",
				Details: []herald.ErrorDetail{{Field: "grace_seconds", Message: "must be between 0 and 2592000 (30 days)"}}})
			return
		}
		grace = time.Duration(*in.GraceSeconds) * time.Second
	}
	secret := signing.NewSecret(w.SecretPrefix)
	rotated, err := s.Store.RotateSecret(c.Request.Context(), w.ID, secret, grace)
	if err != nil {
		s.writeError(c, err)
		return
	}
	out := rotatedWebhook{WebhookWithSecret: herald.WebhookWithSecret{Webhook: rotated, Secret: secret}}
	if grace > 0 {
		t := time.Now().Add(grace).UTC()
		out.PreviousSecretsExpireAt = &t
	}
	c.PureJSON(http.StatusOK, out)
}

// decodeOptionalJSON is decodeJSON for a body that may be empty.
func decodeOptionalJSON(c *gin.Context, v any) error {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(raw))
	return decodeJSON(c, v)
}
