// Package workflows holds Herald's Temporal workflows and the one place that names their task
// queue, IDs, inputs and search attributes, so that API, starter and worker agree.
//
// An event workflow (ID "event/<event id>") resolves the event's destinations a page at a time
// with a local activity and starts one delivery workflow per webhook (ID
// "delivery/<event id>/<webhook id>") with the ABANDON parent-close policy, one page per wave:
// it waits until each child has started, not until it ends, so a destination that retries for a
// day keeps only its own workflow open. Every two waves it continues as new with the cursor, so
// that no run exceeds Temporal's 2,000 pending children or grows a large history. A delivery
// workflow makes its first attempt as a local activity and any further ones as an activity
// under a retry policy built from the webhook's settings, then records the final status. A
// redelivery ("redeliver/<delivery id>/<run>") is a delivery workflow with trigger manual; a
// replay workflow ("replay/<replay id>") runs redeliveries as children. A delivery that is not
// delivered has a status record ("status/<delivery id>") that carries its current status in
// HeraldDeliveryStatus until it is. Workflows carry IDs only; activities load payloads and
// secrets.
package workflows

import (
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/activities"
)

// TaskQueue is the task queue of every Herald workflow and activity.
const TaskQueue = "herald"

// EventWorkflowID is the ID of an event's workflow.
func EventWorkflowID(eventID string) string { return "event/" + eventID }

// DeliveryWorkflowID is the ID of the automatic delivery of an event to a webhook.
func DeliveryWorkflowID(eventID, webhookID string) string {
	return activities.DeliveryWorkflowID(eventID, webhookID)
}

// RedeliveryWorkflowID is the ID of one manual redelivery of a delivery; run names the
// request (a replay's id, or a fresh id for a single redelivery).
func RedeliveryWorkflowID(deliveryID, run string) string {
	return "redeliver/" + deliveryID + "/" + run
}

// ReplayWorkflowID is the ID of a bulk replay's workflow.
func ReplayWorkflowID(replayID string) string { return "replay/" + replayID }

// Search attributes Herald sets on its workflows (registered by dev and by `herald migrate`).
var (
	AttrEventType      = temporal.NewSearchAttributeKeyKeyword("HeraldEventType")
	AttrWebhookID      = temporal.NewSearchAttributeKeyKeyword("HeraldWebhookId")
	AttrOwnerID        = temporal.NewSearchAttributeKeyKeyword("HeraldOwnerId")
	AttrDeliveryStatus = temporal.NewSearchAttributeKeyKeyword("HeraldDeliveryStatus")
)

// BuildID is the build ID Herald's workers report with every workflow task they complete.
const BuildID = "herald-" + herald.Version

// attrBuildIDs is Temporal's own BuildIds attribute. The server sets it on a workflow's first
// completed workflow task (to "unversioned" and "unversioned:<build id>" for a worker without
// versioning), and that change costs one more visibility write per workflow. Herald's workflows
// start with the value the server will compute, so nothing changes then.
var attrBuildIDs = temporal.NewSearchAttributeKeyKeywordList("BuildIds")

// BuildIDsAttribute is the BuildIds value a workflow run by Herald's workers ends up with.
func BuildIDsAttribute() temporal.SearchAttributeUpdate {
	return attrBuildIDs.ValueSet([]string{"unversioned", "unversioned:" + BuildID})
}

// SearchAttributes is what must be registered on the namespace.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	AttrEventType.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrWebhookID.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrOwnerID.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrDeliveryStatus.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// EventInput starts (or continues) an event workflow.
type EventInput struct {
	EventID string
	// WaveSize is the children started per wave (one resolve page). The starter sets it
	// (DefaultWaveSize); an event workflow started before paged fan-out has 0 and resolves
	// every destination at once, as it did when it started. The input, not workflow.GetVersion,
	// tells the two apart: GetVersion would upsert TemporalChangeVersion on every event workflow,
	// one more visibility write per event on the path every delivery takes.
	WaveSize int
	// After is the resolve cursor a continued run starts from ("" at the start); Started the
	// deliveries earlier runs started.
	After   string
	Started int
}

// EventResult says how many delivery workflows the event workflow started (DeliveryIDs lists
// them only for runs from before paged fan-out).
type EventResult struct {
	DeliveryIDs []string `json:",omitempty"`
	Started     int
}

// DeliveryInput starts a delivery workflow.
type DeliveryInput struct {
	DeliveryID     string
	EventID        string
	WebhookID      string
	Retry          RetryPolicy
	TimeoutSeconds int
	Trigger        string // herald.TriggerAuto when empty; herald.TriggerManual for a redelivery
	EventType      string // for the activity summaries the Temporal UI shows
	Host           string // the destination's host, for the same summaries
}

// RetryPolicy mirrors herald.RetryPolicy in the workflow's input (a copy, so that a later
// change to the webhook does not change a running delivery's policy).
type RetryPolicy struct {
	MaxAttempts            int
	InitialIntervalSeconds float64
	BackoffCoefficient     float64
	MaxIntervalSeconds     float64
}

// DeliveryResult is a delivery workflow's final state.
type DeliveryResult struct {
	Status     string
	Attempts   int
	StatusCode int
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
