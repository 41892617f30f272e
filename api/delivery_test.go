package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/herald-webhooks/herald/internal/wire"
)

func TestPublishDeliversOneVerifiedPostPerMatchingWebhook(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)

	personal := e.createWebhook("/users/u_1", r.URL+"/personal", []string{"summary.completed"}, nil)
	r.register("/personal", personal.Secret)
	org := e.createWebhook("/organization/org_1", r.URL+"/org", []string{"*"}, nil)
	r.register("/org", org.Secret)
	other := e.createWebhook("/users/u_1", r.URL+"/other", []string{"recording.created"}, nil)
	r.register("/other", other.Secret)
	stranger := e.createWebhook("/users/u_2", r.URL+"/stranger", []string{"*"}, nil)
	r.register("/stranger", stranger.Secret)

	var pub struct {
		ID string `json:"id"`
	}
	e.mustDo(202, "POST", "/events", map[string]any{
		"id": e.ev("evt_e2e_1"), "event": "summary.completed", "user_id": "u_1",
		"data": json.RawMessage(`{"title":"<b>Standup</b> & more","score":0.0,"tiny":1e-7}`),
	}, &pub)
	if pub.ID != e.ev("evt_e2e_1") {
		t.Fatalf("published id %q", pub.ID)
	}
	ds := e.waitDeliveries(e.ev("evt_e2e_1"), 2)

	t.Run("each matching webhook gets exactly one POST that the Standard Webhooks library verifies", func(t *testing.T) {
		for _, path := range []string{"/personal", "/org"} {
			got := r.requests(path)
			if len(got) != 1 {
				t.Fatalf("%s got %d requests, want 1", path, len(got))
			}
			if !got[0].Verified {
				t.Fatalf("%s: signature did not verify; headers %v", path, got[0].Header)
			}
			if got[0].WebhookID != e.ev("evt_e2e_1") {
				t.Fatalf("%s: webhook-id %q, want the event id", path, got[0].WebhookID)
			}
			if ua := got[0].Header.Get("User-Agent"); !strings.HasPrefix(ua, "Herald-Webhook/") {
				t.Fatalf("%s: User-Agent %q", path, ua)
			}
		}
	})

	t.Run("non-subscribed webhooks and other users' webhooks get nothing", func(t *testing.T) {
		for _, path := range []string{"/other", "/stranger"} {
			if n := len(r.requests(path)); n != 0 {
				t.Fatalf("%s got %d requests, want 0", path, n)
			}
		}
	})

	t.Run("the body is the envelope, with organization only on the organization's delivery", func(t *testing.T) {
		p := string(r.requests("/personal")[0].Body)
		wantPrefix := `{"id":"` + e.ev("evt_e2e_1") + `","event":"summary.completed","timestamp":"`
		if !strings.HasPrefix(p, wantPrefix) {
			t.Fatalf("personal body %s", p)
		}
		wantTail := `"webhook_id":"` + personal.ID + `","user":{"id":"u_1","email":"ada@example.com","name":"Ada"},` +
			`"data":{"title":"<b>Standup</b> & more","score":0,"tiny":1e-7}}`
		if !strings.HasSuffix(p, wantTail) {
			t.Fatalf("personal body\n%s\nwant suffix\n%s", p, wantTail)
		}
		o := string(r.requests("/org")[0].Body)
		if !strings.Contains(o, `"webhook_id":"`+org.ID+`","user":{"id":"u_1","email":"ada@example.com","name":"Ada"},"organization":{"id":"org_1"},"data":`) {
			t.Fatalf("org body %s", o)
		}
	})

	t.Run("delivery and attempt rows record one successful attempt", func(t *testing.T) {
		byWebhook := map[string]delivery{}
		for _, d := range ds {
			byWebhook[d.WebhookID] = d
		}
		for _, w := range []webhook{personal, org} {
			d, ok := byWebhook[w.ID]
			if !ok {
				t.Fatalf("no delivery for webhook %s in %+v", w.ID, ds)
			}
			var full delivery
			e.mustDo(200, "GET", "/deliveries/"+d.ID, nil, &full)
			if full.Status != "succeeded" || full.Attempts != 1 || full.LastStatusCode == nil || *full.LastStatusCode != 200 {
				t.Fatalf("delivery %+v", full)
			}
			if len(full.AttemptLog) != 1 || full.AttemptLog[0].Number != 1 || full.AttemptLog[0].Trigger != "auto" ||
				full.AttemptLog[0].StatusCode == nil || *full.AttemptLog[0].StatusCode != 200 {
				t.Fatalf("attempt log %+v", full.AttemptLog)
			}
			var page struct {
				Data []delivery `json:"data"`
			}
			e.mustDo(200, "GET", "/webhooks/"+w.ID+"/deliveries", nil, &page)
			if len(page.Data) != 1 || page.Data[0].ID != d.ID {
				t.Fatalf("webhook %s deliveries %+v", w.ID, page.Data)
			}
		}
	})

	t.Run("the workflows exist in Temporal under their readable IDs", func(t *testing.T) {
		ctx := context.Background()
		ids := []string{wire.EventWorkflowID(e.ev("evt_e2e_1")),
			wire.DeliveryWorkflowID(e.ev("evt_e2e_1"), personal.ID), wire.DeliveryWorkflowID(e.ev("evt_e2e_1"), org.ID)}
		for _, id := range ids {
			run := stack.Client.GetWorkflow(ctx, id, "")
			if err := run.Get(ctx, nil); err != nil {
				t.Fatalf("workflow %s: %v", id, err)
			}
			desc, err := stack.Client.DescribeWorkflowExecution(ctx, id, "")
			if err != nil {
				t.Fatal(err)
			}
			if s := desc.GetWorkflowExecutionInfo().GetStatus(); s != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				t.Fatalf("workflow %s status %v", id, s)
			}
		}
	})

	t.Run("reads after creation show a hint, never the secret", func(t *testing.T) {
		var raw json.RawMessage
		e.mustDo(200, "GET", "/users/u_1/webhooks", nil, &raw)
		if strings.Contains(string(raw), personal.Secret) || strings.Contains(string(raw), `"secret":`) {
			t.Fatalf("list shows a secret: %s", raw)
		}
		if !strings.Contains(string(raw), `"secret_hint":"`+personal.Secret[:6]+`*`) {
			t.Fatalf("list has no hint: %s", raw)
		}
	})

	t.Run("no secret or payload is in the workflow histories", func(t *testing.T) {
		ctx := context.Background()
		for _, id := range []string{wire.EventWorkflowID(e.ev("evt_e2e_1")), wire.DeliveryWorkflowID(e.ev("evt_e2e_1"), personal.ID)} {
			iter := stack.Client.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			var all strings.Builder
			for iter.HasNext() {
				ev, err := iter.Next()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(ev)
				all.Write(b)
			}
			h := all.String()
			for _, secret := range []string{personal.Secret, org.Secret, strings.TrimPrefix(personal.Secret, "whsec_")} {
				if strings.Contains(h, secret) {
					t.Fatalf("history of %s holds a secret", id)
				}
			}
			if strings.Contains(h, "Standup") {
				t.Fatalf("history of %s holds the payload", id)
			}
		}
	})
}

// retryPolicy is a fast test policy.
func retryPolicy(max int, initial float64) map[string]any {
	return map[string]any{"max_attempts": max, "initial_interval_seconds": initial,
		"backoff_coefficient": 1, "max_interval_seconds": initial}
}

func TestRetries(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	r.answer = func(path string, n int) int {
		switch path {
		case "/flaky":
			if n <= 2 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		case "/gone":
			return http.StatusGone
		}
		return http.StatusOK
	}
	flaky := e.createWebhook("/users/u_2", r.URL+"/flaky", []string{"summary.completed"},
		map[string]any{"retry": retryPolicy(5, 0.1)})
	r.register("/flaky", flaky.Secret)
	gone := e.createWebhook("/organization/org_1", r.URL+"/gone", []string{"summary.completed"},
		map[string]any{"retry": retryPolicy(5, 0.1)})
	r.register("/gone", gone.Secret)

	e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_retry_1"), "event": "summary.completed",
		"user_id": "u_2", "data": map[string]any{"n": 1}}, nil)
	e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_gone_1"), "event": "summary.completed",
		"organization_id": "org_1", "data": map[string]any{"n": 2}}, nil)

	t.Run("a receiver that fails twice then answers 200 gets three attempts and a succeeded delivery", func(t *testing.T) {
		d := e.waitDeliveries(e.ev("evt_retry_1"), 1)[0]
		var full delivery
		e.mustDo(200, "GET", "/deliveries/"+d.ID, nil, &full)
		if full.Status != "succeeded" || full.Attempts != 3 || len(full.AttemptLog) != 3 {
			t.Fatalf("delivery %+v", full)
		}
		for i, a := range full.AttemptLog {
			want := 500
			if i == 2 {
				want = 200
			}
			if a.Number != i+1 || a.StatusCode == nil || *a.StatusCode != want {
				t.Fatalf("attempt %d: %+v", i+1, a)
			}
		}
		got := r.requests("/flaky")
		if len(got) != 3 {
			t.Fatalf("receiver got %d requests, want 3", len(got))
		}
		for _, g := range got {
			if !g.Verified || g.WebhookID != e.ev("evt_retry_1") {
				t.Fatalf("retry request not verified or webhook-id changed: %+v", g.WebhookID)
			}
			if string(g.Body) != string(got[0].Body) {
				t.Fatal("a retry sent different body bytes")
			}
		}
	})

	t.Run("a receiver answering 410 gets one attempt and the delivery fails", func(t *testing.T) {
		d := e.waitDeliveries(e.ev("evt_gone_1"), 1)[0]
		var full delivery
		e.mustDo(200, "GET", "/deliveries/"+d.ID, nil, &full)
		if full.Status != "failed" || full.Attempts != 1 || len(full.AttemptLog) != 1 || *full.AttemptLog[0].StatusCode != 410 {
			t.Fatalf("delivery %+v", full)
		}
		if n := len(r.requests("/gone")); n != 1 {
			t.Fatalf("receiver got %d requests, want 1", n)
		}
	})

	t.Run("the Temporal UI's filters tell the failed delivery from the succeeded one", func(t *testing.T) {
		list := func(q string) []string {
			t.Helper()
			var ids []string
			deadline := time.Now().Add(20 * time.Second)
			for {
				resp, err := stack.Client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: q})
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				ids = ids[:0]
				for _, x := range resp.GetExecutions() {
					ids = append(ids, x.GetExecution().GetWorkflowId())
				}
				if len(ids) > 0 || time.Now().After(deadline) {
					return ids
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
		failed := list(`HeraldWebhookId = "` + gone.ID + `" AND HeraldDeliveryStatus = "failed"`)
		goneDelivery := e.waitDeliveries(e.ev("evt_gone_1"), 1)[0]
		if want := wire.StatusRecordWorkflowID(goneDelivery.ID); len(failed) != 1 || failed[0] != want {
			t.Fatalf("failed deliveries of the 410 webhook: %v, want [%s]", failed, want)
		}
		succeeded := list(`HeraldWebhookId = "` + flaky.ID + `" AND ExecutionStatus = "Completed" AND HeraldDeliveryStatus IS NULL`)
		if want := wire.DeliveryWorkflowID(e.ev("evt_retry_1"), flaky.ID); len(succeeded) != 1 || succeeded[0] != want {
			t.Fatalf("succeeded deliveries of the flaky webhook: %v, want [%s]", succeeded, want)
		}
		resp, err := stack.Client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default",
			Query: `HeraldWebhookId = "` + flaky.ID + `" AND HeraldDeliveryStatus = "failed"`})
		if err != nil || len(resp.GetExecutions()) != 0 {
			t.Fatalf("the succeeded delivery is listed as failed: %v %v", resp, err)
		}
	})
}

func TestRepublishingTheSameEventDeliversOnce(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	a := e.createWebhook("/users/u_1", r.URL+"/a", []string{"summary.completed"}, nil)
	r.register("/a", a.Secret)
	b := e.createWebhook("/organization/org_1", r.URL+"/b", []string{"summary.completed"}, nil)
	r.register("/b", b.Secret)

	body := map[string]any{"id": e.ev("evt_dup_1"), "event": "summary.completed", "user_id": "u_1", "data": map[string]any{"k": "v"}}
	var first, second struct {
		ID        string `json:"id"`
		Duplicate bool   `json:"duplicate"`
	}
	e.mustDo(202, "POST", "/events", body, &first)
	e.mustDo(202, "POST", "/events", body, &second)
	if first.Duplicate || !second.Duplicate || second.ID != first.ID {
		t.Fatalf("first %+v second %+v", first, second)
	}
	e.waitDeliveries(e.ev("evt_dup_1"), 2)
	// A third publish after the deliveries finished must not start anything either.
	e.mustDo(202, "POST", "/events", body, nil)

	var conflict struct {
		Error struct{ Code string } `json:"error"`
	}
	body["data"] = map[string]any{"k": "other"}
	if code := e.do("POST", "/events", body, &conflict); code != 409 || conflict.Error.Code != "conflict" {
		t.Fatalf("same id, other body: %d %+v", code, conflict)
	}

	// Give a wrongly started second delivery the time to arrive before counting.
	time.Sleep(500 * time.Millisecond)
	for _, p := range []string{"/a", "/b"} {
		if n := len(r.requests(p)); n != 1 {
			t.Fatalf("%s got %d requests, want 1", p, n)
		}
	}
	ds := e.waitDeliveries(e.ev("evt_dup_1"), 2)
	for _, d := range ds {
		if d.Attempts != 1 {
			t.Fatalf("delivery %+v", d)
		}
	}
}

func TestDeliveryWaitingForRetrySurvivesAWorkerRestart(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	r.answer = func(_ string, n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	w := e.createWebhook("/users/u_1", r.URL+"/slow", []string{"summary.completed"},
		map[string]any{"retry": retryPolicy(3, 3)})
	r.register("/slow", w.Secret)
	e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_restart_1"), "event": "summary.completed",
		"user_id": "u_1", "data": map[string]any{"k": "v"}}, nil)

	select {
	case <-r.notified: // the first attempt arrived and is being answered 503
	case <-time.After(30 * time.Second):
		t.Fatal("first attempt never arrived")
	}
	// Wait until the failed attempt is recorded, then stop the worker during the backoff.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ev struct{ Deliveries []delivery }
		e.mustDo(200, "GET", "/events/"+e.ev("evt_restart_1"), nil, &ev)
		if len(ev.Deliveries) == 1 && ev.Deliveries[0].Attempts == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("first attempt not recorded: %+v", ev.Deliveries)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.worker.Stop()
	e.startWorker() // a new worker process picks the delivery up when the retry is due

	d := e.waitDeliveries(e.ev("evt_restart_1"), 1)[0]
	var full delivery
	e.mustDo(200, "GET", "/deliveries/"+d.ID, nil, &full)
	if full.Status != "succeeded" || full.Attempts != 2 {
		t.Fatalf("delivery %+v", full)
	}
	if got := r.requests("/slow"); len(got) != 2 || !got[1].Verified {
		t.Fatalf("receiver got %d requests", len(got))
	}
}

func TestBadInputGetsAJSONErrorAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.directory()
	big := `{"event":"summary.completed","user_id":"u_1","data":{"blob":"` + strings.Repeat("x", 300<<10) + `"}}`
	cases := []struct {
		name   string
		auth   string
		body   string
		status int
		code   string
	}{
		{"malformed JSON is a 400", "Bearer " + adminKey, `{"event":`, 400, "malformed_request"},
		{"a field of the wrong type is a 400", "Bearer " + adminKey, `{"id":"evt_bad_0","event":5,"user_id":"u_1","data":{}}`, 400, "malformed_request"},
		{"an unknown event type is a 422", "Bearer " + adminKey, `{"id":"evt_bad_1","event":"no.such","user_id":"u_1","data":{}}`, 422, "unknown_event_type"},
		{"data that is not an object is a 422", "Bearer " + adminKey, `{"id":"evt_bad_2","event":"summary.completed","user_id":"u_1","data":[1]}`, 422, "validation_failed"},
		{"an unknown user is a 422", "Bearer " + adminKey, `{"id":"evt_bad_3","event":"summary.completed","user_id":"nobody","data":{}}`, 422, "validation_failed"},
		{"a missing key is a 401", "", `{"id":"evt_bad_4","event":"summary.completed","user_id":"u_1","data":{}}`, 401, "unauthorized"},
		{"a wrong key is a 401", "Bearer hk_wrong", `{"id":"evt_bad_5","event":"summary.completed","user_id":"u_1","data":{}}`, 401, "unauthorized"},
		{"an oversized body is a 413", "Bearer " + adminKey, big, 413, "payload_too_large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			got := e.doWith("POST", "/events", c.auth, c.body, &out)
			if got != c.status || out.Error.Code != c.code || out.Error.Message == "" {
				t.Fatalf("status %d code %q message %q, want %d %q", got, out.Error.Code, out.Error.Message, c.status, c.code)
			}
		})
	}

	t.Run("nothing was stored and no workflow was started", func(t *testing.T) {
		var n int
		if err := e.store.DB().Get(&n, `SELECT count(*) FROM events`); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d events stored", n)
		}
		for i := 0; i <= 5; i++ {
			id := wire.EventWorkflowID(fmt.Sprintf("evt_bad_%d", i))
			if _, err := stack.Client.DescribeWorkflowExecution(context.Background(), id, ""); err == nil {
				t.Fatalf("workflow %s exists", id)
			}
		}
	})

	t.Run("a bad webhook gets field errors and is not created", func(t *testing.T) {
		var out struct {
			Error struct {
				Code    string                   `json:"code"`
				Details []struct{ Field string } `json:"details"`
			} `json:"error"`
		}
		got := e.do("POST", "/users/u_1/webhooks", map[string]any{"url": "ftp://x", "events": []string{"nope"},
			"timeout_seconds": 600, "retry": retryPolicy(0, 1)}, &out)
		fields := map[string]bool{}
		for _, d := range out.Error.Details {
			fields[d.Field] = true
		}
		if got != 422 || out.Error.Code != "validation_failed" || !fields["url"] || !fields["events[0]"] ||
			!fields["timeout_seconds"] || !fields["retry.max_attempts"] {
			t.Fatalf("status %d %+v", got, out)
		}
		var list struct{ Data []webhook }
		e.mustDo(200, "GET", "/users/u_1/webhooks", nil, &list)
		if len(list.Data) != 0 {
			t.Fatalf("webhooks %+v", list.Data)
		}
	})
}

func TestCancellingADeliveryWorkflowMarksTheDeliveryCancelled(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	r.answer = func(string, int) int { return http.StatusInternalServerError }
	w := e.createWebhook("/users/u_1", r.URL+"/down", []string{"summary.completed"},
		map[string]any{"retry": retryPolicy(10, 60)})
	r.register("/down", w.Secret)
	e.mustDo(202, "POST", "/events", map[string]any{"id": e.ev("evt_cancel_1"), "event": "summary.completed",
		"user_id": "u_1", "data": map[string]any{"k": "v"}}, nil)
	select {
	case <-r.notified:
	case <-time.After(30 * time.Second):
		t.Fatal("first attempt never arrived")
	}
	ctx := context.Background()
	id := wire.DeliveryWorkflowID(e.ev("evt_cancel_1"), w.ID)
	if err := stack.Client.CancelWorkflow(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	d := e.waitDeliveries(e.ev("evt_cancel_1"), 1)[0]
	if d.Status != "cancelled" {
		t.Fatalf("delivery %+v", d)
	}
	_ = stack.Client.GetWorkflow(ctx, id, "").Get(ctx, nil) // wait for it to close
	desc, err := stack.Client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	if s := desc.GetWorkflowExecutionInfo().GetStatus(); s != enums.WORKFLOW_EXECUTION_STATUS_CANCELED {
		t.Fatalf("workflow status %v", s)
	}
}

// TestAttemptLogShowsWhatWasSent: each attempt of GET /deliveries/{id} carries the request
// headers as recorded (the signature redacted, the webhook's own headers and the event header
// as sent) and the size and SHA-256 of the body, which match what the receiver got, on the
// automatic attempts and on a manual redelivery alike.
func TestAttemptLogShowsWhatWasSent(t *testing.T) {
	e := newEnv(t)
	e.directory()
	r := newReceiver(t)
	r.answer = func(_ string, n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	e.createWebhook("/users/u_1", r.URL+"/sent", []string{"summary.completed"}, map[string]any{
		"headers": map[string]string{"X-Team": "core"}, "event_header": "X-Event",
		"retry": retryWith(3, 0.1, 1, 0.1)})
	id := e.ev("evt_sent")
	e.mustDo(202, "POST", "/events", map[string]any{"id": id, "event": "summary.completed", "user_id": "u_1",
		"data": map[string]any{"summary": map[string]any{"title": "Ünïcode <b>kept</b>"}}}, nil)
	ds := e.waitDeliveries(id, 1)
	e.mustDo(202, "POST", "/deliveries/"+ds[0].ID+"/redeliver", nil, nil)

	type sent struct {
		Number            int               `json:"number"`
		Trigger           string            `json:"trigger"`
		RequestHeaders    map[string]string `json:"request_headers"`
		RequestBodySize   int64             `json:"request_body_size"`
		RequestBodySHA256 string            `json:"request_body_sha256"`
	}
	var d struct {
		AttemptLog []sent `json:"attempt_log"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(d.AttemptLog) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("attempt log %+v, want 3 attempts", d.AttemptLog)
		}
		time.Sleep(50 * time.Millisecond)
		e.mustDo(200, "GET", "/deliveries/"+ds[0].ID, nil, &d)
	}
	got := r.requests("/sent")
	if len(got) != 3 {
		t.Fatalf("the receiver got %d requests, want 3", len(got))
	}
	for i, a := range d.AttemptLog {
		body := got[i].Body
		sum := sha256.Sum256(body)
		if a.RequestBodySize != int64(len(body)) || a.RequestBodySHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("attempt %d: body %d bytes sha256 %s, the receiver got %d bytes sha256 %x",
				a.Number, a.RequestBodySize, a.RequestBodySHA256, len(body), sum)
		}
		h := a.RequestHeaders
		if h["Webhook-Signature"] != "(redacted)" || got[i].Header.Get("Webhook-Signature") == "" {
			t.Errorf("attempt %d: signature header recorded as %q", a.Number, h["Webhook-Signature"])
		}
		for _, name := range []string{"Webhook-Id", "Webhook-Timestamp", "X-Team", "X-Event", "Content-Type", "User-Agent"} {
			if h[name] == "" || h[name] != got[i].Header.Get(name) {
				t.Errorf("attempt %d: %s recorded as %q, sent as %q", a.Number, name, h[name], got[i].Header.Get(name))
			}
		}
	}
	if triggers := []string{d.AttemptLog[0].Trigger, d.AttemptLog[1].Trigger, d.AttemptLog[2].Trigger}; triggers[2] != "manual" {
		t.Errorf("triggers %v, want the redelivery last", triggers)
	}
}
