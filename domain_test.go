package herald

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// fields lists the fields the details name, in order.
func fields(d []ErrorDetail) []string {
	out := make([]string, len(d))
	for i, e := range d {
		out[i] = e.Field
	}
	return out
}

// validWebhook is a complete webhook with Herald's defaults, which Validate accepts.
func validWebhook() *Webhook {
	return &Webhook{Name: "n", URL: "https://example.com/hook", Events: []string{"a.b"}, Status: WebhookActive,
		Headers: map[string]string{"X-Team": "core"}, SensitiveHeaders: []string{}, TimeoutSeconds: 30,
		Format: FormatEnvelope, Retry: DefaultRetryPolicy, Signing: Signing{Scheme: SchemeStandard},
		SecretPrefix: "whsec_", DisableAfterFailures: 15, DisableAfterSeconds: 86400}
}

func TestWebhookValidateNamesEveryBadField(t *testing.T) {
	known := func(name string) bool { return name == "a.b" }
	for _, tc := range []struct {
		name   string
		change func(w *Webhook)
		checks WebhookChecks
		want   []string
	}{
		{"a complete webhook is valid", func(*Webhook) {}, WebhookChecks{EventType: known}, nil},
		{"a missing URL is required before the policy is asked", func(w *Webhook) { w.URL = "" },
			WebhookChecks{URL: func(string) string { t.Fatal("policy asked"); return "" }}, []string{"url"}},
		{"the URL policy's reason is the url's detail", func(*Webhook) {},
			WebhookChecks{URL: func(string) string { return "must use https" }}, []string{"url"}},
		{"an unknown event type is named by its index", func(w *Webhook) { w.Events = []string{"a.b", "x.y"} },
			WebhookChecks{EventType: known}, []string{"events[1]"}},
		{"unknown types are not checked without a catalog", func(w *Webhook) { w.Events = []string{"x.y"} }, WebhookChecks{}, nil},
		{`"*" must be alone, and duplicates are refused`, func(w *Webhook) { w.Events = []string{"a.b", "a.b", "*"} },
			WebhookChecks{EventType: known}, []string{"events[1]", "events[2]"}},
		{"an active webhook needs an event", func(w *Webhook) { w.Events = []string{} }, WebhookChecks{}, []string{"events"}},
		{"an inactive one does not", func(w *Webhook) { w.Events, w.Status = []string{}, WebhookInactive }, WebhookChecks{}, nil},
		{"reserved and malformed headers", func(w *Webhook) {
			w.Headers = map[string]string{"Host": "x"}
			w.SensitiveHeaders = []string{"X-A", "x-a", "bad name"}
			w.EventHeader = "webhook-id"
		}, WebhookChecks{}, []string{"headers.Host", "sensitive_headers[1]", "sensitive_headers[2]", "event_header"}},
		{"a header value with a newline", func(w *Webhook) { w.Headers["X-Team"] = "a\nb" }, WebhookChecks{}, []string{"headers.X-Team"}},
		{"a header the signing sets", func(w *Webhook) {
			w.Signing = Signing{Scheme: SchemeHMAC, Header: "X-Team"}
		}, WebhookChecks{}, []string{"headers.X-Team"}},
		{"numbers out of bounds, in the fields' order", func(w *Webhook) {
			w.TimeoutSeconds, w.Format, w.Retry.MaxAttempts = 61, "xml", 0
			w.SecretPrefix, w.DisableAfterFailures, w.DisableAfterSeconds = "Bad", -1, MaxDisableAfterSeconds+1
		}, WebhookChecks{}, []string{"timeout_seconds", "format", "retry.max_attempts", "secret_prefix",
			"disable_after_failures", "disable_after_seconds"}},
		{"a schedule longer than a delivery may take", func(w *Webhook) {
			w.Retry = RetryPolicy{MaxAttempts: 50, InitialIntervalSeconds: 86400, BackoffCoefficient: 1, MaxIntervalSeconds: 86400}
		}, WebhookChecks{}, []string{"retry"}},
		{"signing settings are checked under signing.", func(w *Webhook) { w.Signing = Signing{Scheme: "rsa"} },
			WebhookChecks{}, []string{"signing.scheme"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := validWebhook()
			tc.change(w)
			if got := fields(w.Validate(tc.checks)); !slices.Equal(got, tc.want) {
				t.Fatalf("fields %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFormatsAreNamedInTheFormatDetail(t *testing.T) {
	w := validWebhook()
	w.Format = "xml"
	d := w.Validate(WebhookChecks{})
	if len(d) != 1 || d[0].Message != "must be one of envelope, flat, typed" {
		t.Fatalf("%+v", d)
	}
}

func TestDirectoryEntriesValidateTheirFields(t *testing.T) {
	long := strings.Repeat("x", 201)
	for _, tc := range []struct {
		name string
		got  []ErrorDetail
		want []string
	}{
		{"a user with an id and an address is valid", (&User{ID: "usr_1", Email: "ada@example.com"}).Validate(), nil},
		{"a user's email must be a bare address", (&User{ID: "usr_1", Email: "Ada <ada@example.com>"}).Validate(), []string{"email"}},
		{"a user's id follows the id rule and its name is bounded", (&User{ID: "bad id", Name: long}).Validate(), []string{"id", "name"}},
		{"an organization's id and name", (&Organization{ID: "", Name: long}).Validate(), []string{"id", "name"}},
		{"a membership names the path's ids and a role", (&Membership{OrganizationID: "org_1", UserID: "usr 1", Role: "boss"}).Validate(),
			[]string{"userId", "role"}},
		{"each role is valid", (&Membership{OrganizationID: "org_1", UserID: "usr_1", Role: RoleMember}).Validate(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fields(tc.got); !slices.Equal(got, tc.want) {
				t.Fatalf("fields %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOnlyOwnersAndAdminsWrite(t *testing.T) {
	for r, want := range map[Role]bool{RoleOwner: true, RoleAdmin: true, RoleMember: false, "": false, "root": false} {
		if r.CanWrite() != want {
			t.Errorf("%q.CanWrite() = %v", r, !want)
		}
	}
}

func TestEventInputValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   EventInput
		want []string
	}{
		{"a user's event with object data is valid", EventInput{Type: "a.b", UserID: "usr_1", Data: json.RawMessage(` {"x":1} `)}, nil},
		{"the type and an owner are required", EventInput{Data: json.RawMessage(`{}`)}, []string{"event", "user_id"}},
		{"ids follow the id rule", EventInput{ID: "évt", Type: "a.b", OrganizationID: "org 1", Data: json.RawMessage(`{}`)},
			[]string{"id", "organization_id"}},
		{"data must be an object", EventInput{Type: "a.b", UserID: "usr_1", Data: json.RawMessage(`[1]`)}, []string{"data"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fields(tc.in.Validate()); !slices.Equal(got, tc.want) {
				t.Fatalf("fields %v, want %v", got, tc.want)
			}
		})
	}
}
