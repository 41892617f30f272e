package chaos

import (
	"bytes"
	"errors"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/herald-webhooks/herald/internal/signing"
)

// post sends a delivery of eventID to the receiver's destination, signed with secret.
func post(t *testing.T, r *receiver, dest, secret, eventID string) (int, error) {
	t.Helper()
	body := []byte(`{"id":"` + eventID + `"}`)
	headers, err := signing.Standard([]string{secret}, eventID, time.Now(), body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, r.url(dest), bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestTheReceiverCountsWhatTheScenariosAssertOn checks the harness's own accounting: a lost,
// a duplicated and a forged delivery, an outage that refuses then answers 503, and a delivery
// the log marks succeeded that never arrived are each counted, so a broken promise cannot pass.
func TestTheReceiverCountsWhatTheScenariosAssertOn(t *testing.T) {
	r, err := newReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	personal, org := signing.NewSecret("whsec_"), signing.NewSecret("whsec_")
	if err := r.verify("personal", personal); err != nil {
		t.Fatal(err)
	}
	if err := r.verify("org", org); err != nil {
		t.Fatal(err)
	}
	const p = "evt_chaos_1_test_"
	for _, d := range []struct{ dest, secret, id string }{
		{"personal", personal, p + "0"}, {"org", org, p + "0"},
		{"personal", personal, p + "1"}, {"personal", personal, p + "1"}, // a retry of a delivered POST
		{"org", personal, p + "1"}, // signed with the wrong secret: 401, not delivered
	} {
		if _, err := post(t, r, d.dest, d.secret, d.id); err != nil {
			t.Fatal(err)
		}
	}
	r.refuse()
	if _, err := post(t, r, "org", org, p+"1"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("a POST while the receiver is down refusing connections: %v, want connection refused", err)
	}
	if err := r.answer(http.StatusServiceUnavailable); err != nil {
		t.Fatal(err)
	}
	if code, err := post(t, r, "org", org, p+"1"); err != nil || code != http.StatusServiceUnavailable {
		t.Fatalf("a POST while the receiver answers 503: %d %v", code, err)
	}
	if err := r.answer(0); err != nil {
		t.Fatal(err)
	}
	if code, err := post(t, r, "personal", personal, p+"2"); err != nil || code != http.StatusOK {
		t.Fatalf("a POST after the outage: %d %v", code, err)
	}

	accepted := map[string]bool{p + "0": true, p + "1": true}
	tl := r.count(p, accepted)
	if tl.unique != 3 || tl.ok != 4 || tl.requests != 6 || tl.badSig != 1 {
		t.Fatalf("tally %+v, want 3 unique, 4 answered 200, 6 requests, 1 bad signature", tl)
	}
	h := &harness{rcv: r}
	sr := ScenarioResult{Expected: 2 * len(accepted)}
	h.fill(&sr, []logEntry{
		{p + "0", "personal", "succeeded"}, {p + "0", "org", "succeeded"},
		{p + "1", "personal", "succeeded"}, {p + "1", "org", "succeeded"}, // never arrived at org
		{p + "2", "personal", "pending"}, // not accepted: not this scenario's concern
	}, tl, accepted)
	if sr.Lost != 1 || sr.Duplicates != 1 || sr.NotFinal != 0 || sr.SucceededNotReceived != 1 || sr.BadSignatures != 1 || sr.ok() {
		t.Fatalf("figures %+v: want 1 lost, 1 duplicate, 0 not final, 1 succeeded but not received, 1 bad signature, not ok", sr)
	}
	h.fill(&sr, []logEntry{{p + "0", "personal", "succeeded"}, {p + "0", "org", "pending"}}, tl, accepted)
	if sr.NotFinal != 3 {
		t.Fatalf("not final %d, want 3 (one pending, two missing from the log)", sr.NotFinal)
	}
}
