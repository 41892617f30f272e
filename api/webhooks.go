package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/app"
	"github.com/herald-webhooks/herald/internal/presets"
)

// webhookRoutes serves the webhook lifecycle on both scopes (Pocket's organization paths and
// the personal twin) and the by-id actions. Gin needs one wildcard name per path position, so
// both scopes use :id for the owner and :webhookId for the webhook.
func (s *Server) webhookRoutes(g *gin.RouterGroup) {
	for _, sc := range []scope{orgScope, userScope} {
		base := sc.path()
		g.GET(base, s.handle(s.listWebhooks(sc)))
		g.POST(base, s.handle(s.createWebhook(sc)))
		one := base + "/:webhookId"
		g.GET(one, s.handle(s.getWebhook(sc.ref)))
		g.PUT(one, s.handle(s.replaceWebhook(sc.ref)))
		g.PATCH(one, s.handle(s.patchWebhook(sc.ref)))
		g.DELETE(one, s.handle(s.deleteWebhook(sc.ref)))
		g.POST(one+"/test", s.handle(s.testWebhook(sc.ref)))
	}
	g.POST("/webhooks/:id/activate", s.handle(s.activateWebhook))
	g.POST("/webhooks/:id/deactivate", s.handle(s.deactivateWebhook))
	g.POST("/webhooks/:id/rotate-secret", s.handle(s.rotateSecret))
	g.POST("/webhooks/:id/test", s.handle(s.testWebhook(byIDRef)))
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

// webhookRequest is the body of a webhook create or replace (PATCH merges into the current
// settings first): app.WebhookSettings with the REST names. Pointers tell an omitted field
// from a zero one.
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

// DefaultDisableAfter is how long a webhook fails continuously before it is disabled, when
// neither the request, its preset nor the deployment (Server.DisableAfter) says otherwise.
const DefaultDisableAfter = app.DefaultDisableAfter

// createWebhook adds a webhook to the path's owner; the answer shows its secret.
func (s *Server) createWebhook(sc scope) handler {
	return func(c *gin.Context) error {
		w, err := s.svc.webhooks.Create(c.Request.Context(), sc.owner(c), func() (app.WebhookSettings, error) {
			in, err := decodeWebhookRequest(c)
			return app.WebhookSettings(in), err
		})
		if err != nil {
			return err
		}
		// With rotate-secret, the only answers that show a secret.
		c.PureJSON(http.StatusCreated, w)
		return nil
	}
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
func (s *Server) replaceWebhook(ref func(*gin.Context) app.WebhookRef) handler {
	return func(c *gin.Context) error {
		w, err := s.svc.webhooks.Replace(c.Request.Context(), ref(c), func() (app.WebhookSettings, error) {
			in, err := decodeWebhookRequest(c)
			return app.WebhookSettings(in), err
		})
		if err != nil {
			return err
		}
		c.PureJSON(http.StatusOK, w)
		return nil
	}
}

// patchWebhook is PATCH as a JSON Merge Patch (RFC 7396) of the webhook's settings: given
// fields change, omitted ones stay, null resets a field to its default, and objects (headers,
// retry, signing) merge member by member.
func (s *Server) patchWebhook(ref func(*gin.Context) app.WebhookRef) handler {
	return func(c *gin.Context) error {
		w, err := s.svc.webhooks.Patch(c.Request.Context(), ref(c), func(current app.WebhookSettings) (app.WebhookSettings, error) {
			in, err := mergeWebhookPatch(c, webhookRequest(current))
			return app.WebhookSettings(in), err
		})
		if err != nil {
			return err
		}
		c.PureJSON(http.StatusOK, w)
		return nil
	}
}

// mergeWebhookPatch decodes the request's merge patch and applies it to current.
func mergeWebhookPatch(c *gin.Context, current webhookRequest) (webhookRequest, error) {
	patch, err := decodePatch(c, webhookRequest{})
	if err != nil {
		return webhookRequest{}, err
	}
	base, _ := json.Marshal(current)
	var doc map[string]any
	_ = json.Unmarshal(base, &doc)
	merged, _ := json.Marshal(mergePatch(doc, patch))
	if _, ok := patch["preset"]; ok {
		return webhookRequest{}, app.InvalidWebhook([]herald.ErrorDetail{
			{Field: "preset", Message: "applies on create and replace (PUT), not on PATCH"}})
	}
	in := newWebhookRequest()
	return in, decodeBytes(merged, &in)
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
