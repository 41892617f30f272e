package herald_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/herald-webhooks/herald"
)

// jsonNames lists the JSON member names a type serialises to, embedded structs included.
func jsonNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			names = append(names, jsonNames(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name != "-" && f.IsExported() {
			names = append(names, name)
		}
	}
	return names
}

// TestReadTypesCannotCarryASigningSecret: every read of a webhook (get, list, PUT, PATCH,
// activate, a delivery's webhook) answers herald.Webhook, so the plaintext secret must not be
// one of its fields; only the create and rotate answer, WebhookWithSecret, has one.
func TestReadTypesCannotCarryASigningSecret(t *testing.T) {
	for _, typ := range []any{herald.Webhook{}, herald.Delivery{}, herald.Attempt{}, herald.Signing{}} {
		for _, name := range jsonNames(reflect.TypeOf(typ)) {
			if strings.EqualFold(name, "secret") || strings.EqualFold(name, "secrets") {
				t.Errorf("%T serialises a %q member", typ, name)
			}
		}
	}
	w := &herald.Webhook{ID: "wh_1", SecretPrefix: "whsec_", SecretHint: "whsec_****"}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"secret"`) {
		t.Fatalf("a webhook read shows a secret member: %s", b)
	}
	b, err = json.Marshal(herald.WebhookWithSecret{Webhook: w, Secret: "whsec_abc"})
	if err != nil {
		t.Fatal(err)
	}
	var created map[string]any
	if err := json.Unmarshal(b, &created); err != nil || created["secret"] != "whsec_abc" || created["id"] != "wh_1" {
		t.Fatalf("the create answer %s (%v)", b, err)
	}
}

func TestRedactURLsKeepsOnlySchemeAndHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`Post "https://hooks.example.com/t/tok_123?token=abc": dial tcp 10.0.0.1:443: connect: connection refused`,
			`Post "https://hooks.example.com": dial tcp 10.0.0.1:443: connect: connection refused`},
		{`Post "http://user:pass@127.0.0.1:8080/x": context deadline exceeded`, `Post "http://127.0.0.1:8080": context deadline exceeded`},
		{`parse "https://h.example/%zz?k=v": invalid URL escape "%zz"`, `parse "https://h.example": invalid URL escape "%zz"`},
		{`Post "https://h.example#frag": EOF`, `Post "https://h.example": EOF`},
		{"endpoint answered 500", "endpoint answered 500"},
		{"dial tcp 127.0.0.1:1: connect: connection refused", "dial tcp 127.0.0.1:1: connect: connection refused"},
	} {
		if got := herald.RedactURLs(tc.in); got != tc.want {
			t.Errorf("RedactURLs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
