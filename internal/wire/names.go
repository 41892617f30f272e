package wire

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the task queue of every Herald workflow and activity.
const TaskQueue = "herald"

// EventWorkflowID is the ID of an event's workflow.
func EventWorkflowID(eventID string) string { return "event/" + eventID }

// DeliveryWorkflowID is the ID of the automatic delivery of an event to a webhook.
func DeliveryWorkflowID(eventID, webhookID string) string {
	return "delivery/" + eventID + "/" + webhookID
}

// RedeliveryWorkflowID is the ID of one manual redelivery of a delivery; run names the
// request (a replay's id, or a fresh id for a single redelivery).
func RedeliveryWorkflowID(deliveryID, run string) string {
	return "redeliver/" + deliveryID + "/" + run
}

// ReplayWorkflowID is the ID of a bulk replay's workflow.
func ReplayWorkflowID(replayID string) string { return "replay/" + replayID }

// StatusRecordWorkflowID is the ID of the workflow that carries a delivery's current status
// (HeraldDeliveryStatus) while the delivery is not delivered: a closed delivery workflow's
// search attributes cannot change, so a delivery a redelivery fixed later would otherwise still
// be listed as failed.
func StatusRecordWorkflowID(deliveryID string) string { return "status/" + deliveryID }

// CancelDeliveriesWorkflowID is the ID of the workflow that cancels what one change of a
// webhook stopped, cancel-deliveries/<webhook id>/<change time in µs>: deterministic, so that
// starting it twice for one change starts it once.
func CancelDeliveriesWorkflowID(webhookID string, at time.Time) string {
	return fmt.Sprintf("cancel-deliveries/%s/%d", webhookID, at.UnixMicro())
}

// Registered workflow type names, for the callers that start a workflow by name because they
// cannot import package workflows (activities start these two).
const (
	StatusRecordWorkflow     = "StatusRecordWorkflow"
	CancelDeliveriesWorkflow = "CancelDeliveriesWorkflow"
)

// Signals and queries.
const (
	// SignalAttempt is the signal a retrying deliver activity sends its delivery workflow after
	// a failed attempt, with a FailedAttempt, so that the workflow's state query is current.
	SignalAttempt = "herald.attempt"
	// SignalStatusChanged tells a delivery's status record that the delivery's status in
	// PostgreSQL may have changed; the record reads it again.
	SignalStatusChanged = "herald.status_changed"
	// QueryState is the delivery workflow's query (the operator's view of its attempts).
	QueryState = "state"
	// QueryProgress is the replay workflow's query: it answers a ReplayProgress.
	QueryProgress = "progress"
)

// Search attributes Herald sets on its workflows (registered by dev and by `herald migrate`).
var (
	AttrEventType      = temporal.NewSearchAttributeKeyKeyword("HeraldEventType")
	AttrWebhookID      = temporal.NewSearchAttributeKeyKeyword("HeraldWebhookId")
	AttrOwnerID        = temporal.NewSearchAttributeKeyKeyword("HeraldOwnerId")
	AttrDeliveryStatus = temporal.NewSearchAttributeKeyKeyword("HeraldDeliveryStatus")
)

// SearchAttributes is what must be registered on the namespace.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	AttrEventType.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrWebhookID.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrOwnerID.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrDeliveryStatus.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}
