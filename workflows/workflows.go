// Package workflows holds Herald's Temporal workflows. Their task queue, IDs, signal and query
// names, search attributes and the types they take and return are in internal/wire, which API,
// starter, worker and activities import too, so that they agree.
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

	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald"
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

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
