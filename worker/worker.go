// Package worker builds and runs a Temporal worker with every Herald workflow and activity,
// and prepares a namespace (search attributes) for them.
package worker

import (
	"context"
	"fmt"
	"maps"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/herald-webhooks/herald/activities"
	"github.com/herald-webhooks/herald/internal/wire"
	"github.com/herald-webhooks/herald/workflows"
)

// New returns a worker on Herald's task queue with every workflow and activity registered.
func New(c client.Client, acts *activities.Activities, opts sdkworker.Options) sdkworker.Worker {
	return NewOnQueue(c, wire.TaskQueue, acts, opts)
}

// NewOnQueue is New on another task queue (tests isolate themselves this way).
// Unset poller counts default to 8 workflow and 8 activity task pollers: more pollers waiting
// means a new task is handed over instead of persisted and read back; on the embedded stack they
// deliver clearly more per second than the SDK's 2 + 2 (BENCHMARKS.md, "The engine floor").
func NewOnQueue(c client.Client, queue string, acts *activities.Activities, opts sdkworker.Options) sdkworker.Worker {
	if opts.MaxConcurrentWorkflowTaskPollers == 0 {
		opts.MaxConcurrentWorkflowTaskPollers = 8
	}
	if opts.MaxConcurrentActivityTaskPollers == 0 {
		opts.MaxConcurrentActivityTaskPollers = 8
	}
	// Herald tags histories with a build ID (the value BuildIDsAttribute expects) but does not
	// use worker versioning, which is what the deprecation points to.
	//lint:ignore SA1019 a build ID without worker versioning
	if opts.BuildID == "" {
		opts.BuildID = workflows.BuildID //lint:ignore SA1019 as above
	}
	w := sdkworker.New(c, queue, opts)
	Register(w, acts)
	return w
}

// Register registers Herald's workflows and activities on a registry.
func Register(r sdkworker.Registry, acts *activities.Activities) {
	r.RegisterWorkflow(workflows.EventWorkflow)
	r.RegisterWorkflow(workflows.DeliveryWorkflow)
	r.RegisterWorkflow(workflows.ReplayWorkflow)
	r.RegisterWorkflow(workflows.StatusRecordWorkflow)
	r.RegisterWorkflow(workflows.CancelDeliveriesWorkflow)
	r.RegisterActivity(acts)
}

// Run runs a worker until ctx is done, then stops it gracefully.
func Run(ctx context.Context, w sdkworker.Worker) error {
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	<-ctx.Done()
	w.Stop()
	return nil
}

// EnsureSearchAttributes registers Herald's custom search attributes on the namespace when
// they are missing and answers the ones it added. It is idempotent and runs from `herald dev`
// and `herald migrate`.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range wire.SearchAttributes {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if _, err := ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	}); err != nil {
		return nil, fmt.Errorf("add search attributes: %w", err)
	}
	return slices.Sorted(maps.Keys(missing)), nil
}
