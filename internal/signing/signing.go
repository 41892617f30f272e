package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultSecretPrefix is the prefix of generated secrets.
const DefaultSecretPrefix = "whsec_"

// NewSecret returns a fresh secret: prefix + base64 of 24 random bytes.
func NewSecret(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+)
	return prefix + base64.StdEncoding.EncodeToString(b)
}

// Hint masks a secret for reads after creation: its first 6 characters, the rest as '*'.
func Hint(secret string) string {
	if len(secret) <= 6 {
		return strings.Repeat("*", len(secret))
	}
	return secret[:6] + strings.Repeat("*", len(secret)-6)
}

// standardKey decodes the key of a Standard Webhooks secret: the base64 after the prefix
// (everything up to the last '_' when the secret has one).
func standardKey(secret string) ([]byte, error) {
	enc := secret
	if i := strings.LastIndexByte(secret, '_'); i >= 0 {
		enc = secret[i+1:]
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("secret is not prefix + base64: %w", err)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("secret has an empty key")
	}
	return key, nil
}

// Standard returns the Standard Webhooks headers for one attempt: webhook-id, webhook-timestamp
// and webhook-signature with one "v1," signature per secret.
func Standard(secrets []string, msgID string, at time.Time, body []byte) (map[string]string, error) {
	ts := strconv.FormatInt(at.Unix(), 10)
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := standardKey(s)
		if err != nil {
			return nil, err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(msgID))
		mac.Write([]byte{'.'})
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return map[string]string{
		HeaderID:        msgID,
		HeaderTimestamp: ts,
		HeaderSignature: strings.Join(sigs, " "),
	}, nil
}
