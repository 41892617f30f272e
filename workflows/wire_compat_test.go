package workflows_test

import (
	"os"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/herald-webhooks/herald/internal/wire"
)

// TestRecordedPayloadsKeepTheirRetryPolicy decodes, with the SDK's data converter, payloads that
// histories recorded before internal/wire carry: the resolve result, the deliver activity's input
// and the replay page all held herald.RetryPolicy then, under the REST API's JSON names
// ("max_attempts", ...). A running workflow decodes them after an upgrade (the event workflow
// replays its resolve marker and starts its children from it; a scheduled retry activity decodes
// its input), so the retry settings must come out of them intact, not zero.
func TestRecordedPayloadsKeepTheirRetryPolicy(t *testing.T) {
	t.Run("a resolve result recorded in an event workflow's marker", func(t *testing.T) {
		var res wire.ResolveResult
		decode(t, "testdata/event_three_destinations.json", enumspb.EVENT_TYPE_MARKER_RECORDED, &res)
		if len(res.Destinations) != 3 {
			t.Fatalf("destinations %+v, want 3", res.Destinations)
		}
		for _, d := range res.Destinations {
			if want := (wire.RetryPolicy{MaxAttempts: 3, InitialIntervalSeconds: 1, BackoffCoefficient: 2, MaxIntervalSeconds: 4}); d.Retry != want {
				t.Fatalf("%s: retry %+v, want %+v", d.WebhookID, d.Retry, want)
			}
		}
	})
	t.Run("a deliver activity's input scheduled for the retries", func(t *testing.T) {
		var in wire.DeliverInput
		decode(t, "testdata/delivery_retried_then_succeeded.json", enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, &in)
		if want := (wire.RetryPolicy{MaxAttempts: 5, InitialIntervalSeconds: 1, BackoffCoefficient: 1, MaxIntervalSeconds: 1}); in.Retry != want || in.AttemptOffset != 1 {
			t.Fatalf("input %+v, want retry %+v and offset 1", in, want)
		}
	})
	t.Run("a replay page's items", func(t *testing.T) {
		var items []wire.ReplayItem
		decode(t, "testdata/v0.2_replay.json", enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, &items)
		if len(items) == 0 {
			t.Fatal("no replay items")
		}
		if want := (wire.RetryPolicy{MaxAttempts: 5, InitialIntervalSeconds: 60, BackoffCoefficient: 1, MaxIntervalSeconds: 60}); items[0].Retry != want {
			t.Fatalf("retry %+v, want %+v", items[0].Retry, want)
		}
	})
	t.Run("a delivery workflow's input, which always had the field names", func(t *testing.T) {
		var in wire.DeliveryInput
		decode(t, "testdata/v0.2_delivery_retried_then_succeeded.json", enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, &in)
		if want := (wire.RetryPolicy{MaxAttempts: 5, InitialIntervalSeconds: 1, BackoffCoefficient: 1, MaxIntervalSeconds: 1}); in.Retry != want {
			t.Fatalf("retry %+v, want %+v", in.Retry, want)
		}
	})
	t.Run("a policy written now decodes to itself", func(t *testing.T) {
		want := wire.DeliverInput{DeliveryID: "dlv_1", AttemptOffset: 1,
			Retry: wire.RetryPolicy{MaxAttempts: 7, InitialIntervalSeconds: 1.5, BackoffCoefficient: 3, MaxIntervalSeconds: 90}}
		p, err := converter.GetDefaultDataConverter().ToPayload(want)
		if err != nil {
			t.Fatal(err)
		}
		var got wire.DeliverInput
		if err := converter.GetDefaultDataConverter().FromPayload(p, &got); err != nil || got != want {
			t.Fatalf("round trip: %+v %v, want %+v", got, err, want)
		}
	})
}

// decode decodes the first payload of the first event of type typ in a recorded history.
func decode(t *testing.T, file string, typ enumspb.EventType, out any) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range h.Events {
		if e.GetEventType() != typ {
			continue
		}
		if err := converter.GetDefaultDataConverter().FromPayload(payloadOf(t, e), out); err != nil {
			t.Fatalf("%s: decode %s: %v", file, typ, err)
		}
		return
	}
	t.Fatalf("%s has no %s event", file, typ)
}

func payloadOf(t *testing.T, e *historypb.HistoryEvent) *commonpb.Payload {
	t.Helper()
	var ps *commonpb.Payloads
	switch e.GetEventType() {
	case enumspb.EVENT_TYPE_MARKER_RECORDED:
		ps = e.GetMarkerRecordedEventAttributes().GetDetails()["result"] // "data" is the SDK's own marker data
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		ps = e.GetActivityTaskScheduledEventAttributes().GetInput()
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		ps = e.GetActivityTaskCompletedEventAttributes().GetResult()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
		ps = e.GetWorkflowExecutionStartedEventAttributes().GetInput()
	}
	if len(ps.GetPayloads()) == 0 {
		t.Fatalf("%s event %d has no payload", e.GetEventType(), e.GetEventId())
	}
	return ps.GetPayloads()[0]
}
