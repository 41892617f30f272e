package signing

import (
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestStandard(t *testing.T) {
	body := []byte(`{"id":"evt_1","event":"summary.completed","data":{"html":"<p>a & b</p>"}}`)
	at := time.Now()

	t.Run("a signature verifies with the official Standard Webhooks library", func(t *testing.T) {
		secret := NewSecret(DefaultSecretPrefix)
		h, err := Standard([]string{secret}, "evt_1", at, body)
		if err != nil {
			t.Fatal(err)
		}
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, header(h)); err != nil {
			t.Fatalf("verify: %v", err)
		}
	})

	t.Run("a tampered body fails verification", func(t *testing.T) {
		secret := NewSecret(DefaultSecretPrefix)
		h, _ := Standard([]string{secret}, "evt_1", at, body)
		wh, _ := standardwebhooks.NewWebhook(secret)
		if err := wh.Verify(append([]byte{' '}, body...), header(h)); err == nil {
			t.Fatal("tampered body verified")
		}
	})

	t.Run("two secrets sign side by side and each verifies", func(t *testing.T) {
		oldS, newS := NewSecret("whsec_"), NewSecret("whsec_")
		h, _ := Standard([]string{newS, oldS}, "evt_1", at, body)
		if n := len(strings.Fields(h[HeaderSignature])); n != 2 {
			t.Fatalf("got %d signatures, want 2", n)
		}
		for _, s := range []string{oldS, newS} {
			wh, _ := standardwebhooks.NewWebhook(s)
			if err := wh.Verify(body, header(h)); err != nil {
				t.Fatalf("verify with %s: %v", Hint(s), err)
			}
		}
	})

	t.Run("a known vector from the Standard Webhooks spec matches", func(t *testing.T) {
		// Vector from the Standard Webhooks reference libraries' tests.
		h, err := Standard([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek",
			time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
		if err != nil {
			t.Fatal(err)
		}
		if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; h[HeaderSignature] != want {
			t.Fatalf("signature %q, want %q", h[HeaderSignature], want)
		}
	})

	t.Run("a secret that is not base64 is an error", func(t *testing.T) {
		if _, err := Standard([]string{"whsec_not base64!"}, "m", at, body); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestHint(t *testing.T) {
	if got := Hint("whsec_abcdef"); got != "whsec_******" {
		t.Fatalf("Hint = %q", got)
	}
}

func header(h map[string]string) http.Header {
	out := http.Header{}
	for k, v := range h {
		out.Set(k, v)
	}
	return out
}
