package api

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/postgres"
	"github.com/herald-webhooks/herald/signing"
)

func (s *Server) webhookRoutes(g *gin.RouterGroup) {
	g.GET("/organization/:id/webhooks", s.listWebhooks(orgScope))
	g.POST("/organization/:id/webhooks", s.createWebhook(orgScope))
	g.GET("/users/:id/webhooks", s.listWebhooks(userScope))
	g.POST("/users/:id/webhooks", s.createWebhook(userScope))
}

type scope int

const (
	userScope scope = iota
	orgScope
)

func (sc scope) owner(c *gin.Context) postgres.Owner {
	if sc == orgScope {
		return postgres.Owner{OrganizationID: c.Param("id")}
	}
	return postgres.Owner{UserID: c.Param("id")}
}

// webhookRequest is the body of a webhook create.
type webhookRequest struct {
	Name           string              `json:"name"`
	Description    string              `json:"description"`
	URL            string              `json:"url"`
	Events         []string            `json:"events"`
	Active         bool                `json:"active"`
	Headers        map[string]string   `json:"headers"`
	EventHeader    string              `json:"event_header"`
	TimeoutSeconds *int                `json:"timeout_seconds"`
	Format         string              `json:"format"`
	Retry          *herald.RetryPolicy `json:"retry"`
	SecretPrefix   string              `json:"secret_prefix"`
}

var (
	headerName   = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]{1,100}$`)
	secretPrefix = regexp.MustCompile(`^[a-z]{1,10}_$`)
	reserved     = map[string]bool{"content-type": true, "content-length": true, "host": true,
		"webhook-id": true, "webhook-timestamp": true, "webhook-signature": true, "transfer-encoding": true, "connection": true}
)

func (s *Server) createWebhook(sc scope) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		owner := sc.owner(c)
		if err := s.authorizeOwner(c, owner, write); err != nil {
			s.writeError(c, err)
			return
		}
		if err := s.ownerExists(c, sc); err != nil {
			s.writeError(c, err)
			return
		}
		var in webhookRequest
		if err := decodeJSON(c, &in); err != nil {
			s.writeError(c, err)
			return
		}
		w, err := s.validateWebhook(c, in)
		if err != nil {
			s.writeError(c, err)
			return
		}
		w.UserID, w.OrganizationID = owner.UserID, owner.OrganizationID
		w.ID = herald.NewID("wh_")
		w.Secret = signing.NewSecret(w.SecretPrefix)
		w.SecretHint = signing.Hint(w.Secret)
		if err := s.Store.CreateWebhook(ctx, w); err != nil {
			s.writeError(c, err)
			return
		}
		c.PureJSON(http.StatusCreated, w) // the only read that shows the secret
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

// validateWebhook checks a request field by field and returns the webhook it describes.
func (s *Server) validateWebhook(c *gin.Context, in webhookRequest) (*herald.Webhook, error) {
	var d []herald.ErrorDetail
	add := func(field, msg string) { d = append(d, herald.ErrorDetail{Field: field, Message: msg}) }
	w := &herald.Webhook{
		Name: strings.TrimSpace(in.Name), Description: in.Description, URL: strings.TrimSpace(in.URL),
		Events: in.Events, Headers: in.Headers, EventHeader: in.EventHeader, TimeoutSeconds: 30,
		Format: herald.FormatEnvelope, Retry: herald.DefaultRetryPolicy, SecretPrefix: signing.DefaultSecretPrefix,
		Status: herald.WebhookInactive,
	}
	if len(w.Name) > 200 {
		add("name", "must be at most 200 characters")
	}
	if len(w.Description) > 2000 {
		add("description", "must be at most 2000 characters")
	}
	if u, err := url.Parse(w.URL); w.URL == "" {
		add("url", "is required")
	} else if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		add("url", "must be an absolute http(s) URL without credentials")
	} else if len(w.URL) > 2000 {
		add("url", "must be at most 2000 characters")
	}
	if w.Events == nil {
		w.Events = []string{}
	}
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
	seen := map[string]bool{}
	for i, e := range w.Events {
		field := "events[" + strconv.Itoa(i) + "]"
		switch {
		case e == "*" && len(w.Events) > 1:
			add(field, `"*" must be the only entry`)
		case e != "*" && !names[e]:
			add(field, "unknown event type "+strconv.Quote(e))
		case seen[e]:
			add(field, "duplicate")
		}
		seen[e] = true
	}
	if in.Active {
		if len(w.Events) == 0 {
			add("active", "a webhook needs at least one event to be active")
		}
		w.Status = herald.WebhookActive
	}
	if w.Headers == nil {
		w.Headers = map[string]string{}
	}
	if len(w.Headers) > 20 {
		add("headers", "at most 20 headers")
	}
	for k, v := range w.Headers {
		if !headerName.MatchString(k) || reserved[strings.ToLower(k)] {
			add("headers."+k, "not an allowed header name")
		} else if strings.ContainsAny(v, "\r\n") || len(v) > 2000 {
			add("headers."+k, "value must be one line of at most 2000 characters")
		}
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
		if w.Format != herald.FormatEnvelope && w.Format != herald.FormatFlat {
			add("format", "must be envelope or flat")
		}
	}
	if in.Retry != nil {
		w.Retry = *in.Retry
		d = append(d, w.Retry.Validate("retry.")...)
	}
	if in.SecretPrefix != "" {
		w.SecretPrefix = in.SecretPrefix
		if !secretPrefix.MatchString(w.SecretPrefix) {
			add("secret_prefix", "1-10 lowercase letters and a trailing underscore, e.g. whsec_")
		}
	}
	if len(d) > 0 {
		return nil, &herald.Error{Code: herald.EInvalid, Message: "the webhook is not valid", Details: d}
	}
	return w, nil
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
