package secretbox

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	box, err := New(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=")

	t.Run("a sealed value opens to the plaintext under the same key and context", func(t *testing.T) {
		got, err := box.Open(box.Seal(secret, "wh_1"), "wh_1")
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("open = %q, %v", got, err)
		}
	})
	t.Run("the sealed value does not contain the plaintext and differs each time", func(t *testing.T) {
		a, b := box.Seal(secret, "wh_1"), box.Seal(secret, "wh_1")
		if bytes.Contains(a, secret) || bytes.Contains(a, secret[6:]) || bytes.Equal(a, b) {
			t.Fatalf("sealed %x / %x", a, b)
		}
	})
	t.Run("another context, another key or a flipped bit does not open", func(t *testing.T) {
		sealed := box.Seal(secret, "wh_1")
		other, _ := New(NewKey())
		flipped := bytes.Clone(sealed)
		flipped[len(flipped)-1] ^= 1
		for name, try := range map[string]func() ([]byte, error){
			"context": func() ([]byte, error) { return box.Open(sealed, "wh_2") },
			"key":     func() ([]byte, error) { return other.Open(sealed, "wh_1") },
			"bit":     func() ([]byte, error) { return box.Open(flipped, "wh_1") },
			"short":   func() ([]byte, error) { return box.Open(sealed[:5], "wh_1") },
		} {
			if _, err := try(); !errors.Is(err, ErrOpen) {
				t.Fatalf("%s: err %v, want ErrOpen", name, err)
			}
		}
	})
}

func TestParseKey(t *testing.T) {
	key := NewKey()
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"standard base64 with a newline", EncodeKey(key) + "\n", true},
		{"16 bytes is too short", EncodeKey(key[:16]), false},
		{"not base64", "not a key!", false},
		{"empty", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseKey(c.in)
			if c.ok != (err == nil) {
				t.Fatalf("err %v", err)
			}
			if c.ok && !bytes.Equal(got, key) {
				t.Fatal("decoded another key")
			}
		})
	}
	if _, err := New(key[:31]); err == nil {
		t.Fatal("New accepted a 31-byte key")
	}
}
