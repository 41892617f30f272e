package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/app"
	"github.com/herald-webhooks/herald/internal/presets"
	"github.com/herald-webhooks/herald/internal/signing"
)

// webhookRoutes serves the webhook lifecycle on both scopes (Pocket's organization paths and
// the personal twin) and the by-id actions. Gin needs one wildcard name per path position, so
// both scopes use :id for the owner and :webhookId for the webhook.
func (s *Server) webhookRoutes(g *gin.RouterGroup) {
	for _, sc := range []scope{orgScope, userScope} {
		base := sc.path()
		g.GET(base, s.handle(s.listWebhooks(sc)))
		g.POST(base, s.createWebhook(sc))
		one := base + "/:webhookId"
		g.GET(one, s.handle(s.getWebhook(sc.ref)))
		g.PUT(one, s.scoped(sc, write, s.replaceWebhook))
		g.PATCH(one, s.scoped(sc, write, s.patchWebhook))
		g.DELETE(one, s.handle(s.deleteWebhook(sc.ref)))
		g.POST(one+"/test", s.scoped(sc, write, s.testWebhook))
	}
	g.POST("/webhooks/:id/activate", s.handle(s.activateWebhook))
	g.POST("/webhooks/:id/deactivate", s.handle(s.deactivateWebhook))
	g.POST("/webhooks/:id/rotate-secret", s.handle(s.rotateSecret))
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

func (sc scope) owner(c *gin.Context) herald.Owner {
	if sc == orgScope {
		return herald.Owner{OrganizationID: c.Param("id")}
	}
	return herald.Owner{UserID: c.Param("id")}
}

// ref names the path's webhook under the path's owner.
func (sc scope) ref(c *gin.Context) app.WebhookRef {
	owner := sc.owner(c)
	return app.WebhookRef{ID: c.Param("webhookId"), Owner: &owner}
}

// byIDRef names the webhook of /webhooks/:id.
func byIDRef(c *gin.Context) app.WebhookRef { return app.WebhookRef{ID: c.Param("id")} }

func ownerOf(w *herald.Webhook) herald.Owner {
	return herald.Owner{UserID: w.UserID, OrganizationID: w.OrganizationID}
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

// webhookFor loads a webhook and checks the caller may do a to it (404 for another tenant's).
func (s *Server) webhookFor(c *gin.Context, id string, a access) (*herald.Webhook, error) {
	w, err := s.Store.Webhook(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeOwner(c, ownerOf(w), a); err != nil {
		return nil, err
	}
	return w, nil
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

// DefaultDisableAfter is how long a webhook fails continuously before it is disabled, when
// neither the request, its preset nor the deployment (Server.DisableAfter) says otherwise.
// The settings' own bounds are the domain's: see herald.Webhook.Validate.
const DefaultDisableAfter = 24 * time.Hour

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
		preset, _ = presetDefaults("") // the other fields are checked against Herald's defaults
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
	known, err := s.knownEventTypes(c)
	if err != nil {
		return nil, err
	}
	d = append(d, w.Validate(herald.WebhookChecks{URL: s.checkURL, EventType: func(name string) bool { return known[name] }})...)
	if len(d) > 0 {
		return nil, invalid(d)
	}
	return w, nil
}

// checkURL is the reason raw is not an acceptable webhook URL under the URL policy, "" if it is.
func (s *Server) checkURL(raw string) string { return app.URLProblem(s.URLPolicy, raw) }

// knownEventTypes are the catalog's unarchived event types, the ones a webhook may name.
func (s *Server) knownEventTypes(c *gin.Context) (map[string]bool, error) {
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
	return names, nil
}

// completeSigning completes a webhook's signing settings (SPEC section 6); nil is the standard
// scheme. The hmac-sha256 fields are dropped for the other schemes, so that a PATCH of the
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

func (s *Server) listWebhooks(sc scope) handler {
	return func(c *gin.Context) error {
		page, err := s.svc.webhooks.List(c.Request.Context(), sc.owner(c), func() (app.WebhookPage, error) {
			limit, err := pageLimit(c)
			return app.WebhookPage{Limit: limit, Cursor: c.Query("cursor")}, err
		})
		if err != nil {
			return err
		}
		c.PureJSON(http.StatusOK, page)
		return nil
	}
}

func (s *Server) getWebhook(ref func(*gin.Context) app.WebhookRef) handler {
	return func(c *gin.Context) error {
		w, err := s.svc.webhooks.Get(c.Request.Context(), ref(c))
		if err != nil {
			return err
		}
		c.PureJSON(http.StatusOK, w)
		return nil
	}
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

// deleteWebhook soft-deletes the webhook and stops its pending deliveries (app.Webhooks.Delete).
func (s *Server) deleteWebhook(ref func(*gin.Context) app.WebhookRef) handler {
	return func(c *gin.Context) error {
		if err := s.svc.webhooks.Delete(c.Request.Context(), ref(c)); err != nil {
			return err
		}
		c.Status(http.StatusNoContent)
		return nil
	}
}

// activateRequest is the optional body of an activation.
type activateRequest struct {
	RecoverSince *time.Time `json:"recover_since"`
}

// activateWebhook makes the webhook active again, recovering what a disable held with
// recover_since (app.Webhooks.Activate).
func (s *Server) activateWebhook(c *gin.Context) error {
	out, err := s.svc.webhooks.Activate(c.Request.Context(), byIDRef(c), func() (app.Activation, error) {
		var in activateRequest
		err := decodeOptionalJSON(c, &in)
		return app.Activation{RecoverSince: in.RecoverSince}, err
	})
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusOK, out)
	return nil
}

func (s *Server) deactivateWebhook(c *gin.Context) error {
	w, err := s.svc.webhooks.Deactivate(c.Request.Context(), byIDRef(c))
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusOK, w)
	return nil
}

// disableAfterSeconds is the deployment's failing duration for webhooks that set none.
func (s *Server) disableAfterSeconds() int {
	if s.DisableAfter > 0 {
		return int(s.DisableAfter / time.Second)
	}
	return int(DefaultDisableAfter / time.Second)
}

// rotateSecret gives the webhook a new secret; the old one keeps signing for grace_seconds
// (default 24 h; 0 revokes it at once).
func (s *Server) rotateSecret(c *gin.Context) error {
	out, err := s.svc.webhooks.RotateSecret(c.Request.Context(), byIDRef(c), func() (app.Rotation, error) {
		var in struct {
			GraceSeconds *int `json:"grace_seconds"`
		}
		err := decodeOptionalJSON(c, &in)
		return app.Rotation{GraceSeconds: in.GraceSeconds}, err
	})
	if err != nil {
		return err
	}
	c.PureJSON(http.StatusOK, out)
	return nil
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
