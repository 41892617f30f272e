package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/herald-webhooks/herald"
	"github.com/herald-webhooks/herald/internal/wire"
)

// statusStore is what the status activities need of PostgreSQL.
type statusStore interface {
	Delivery(ctx context.Context, id string) (*herald.Delivery, error)
}

// TrackStatus brings the delivery's status record up to date after its status changed in
// PostgreSQL: a delivery that is not delivered gets a record (started, or signalled if it has
// one already); a delivered one only signals the record it may have, which then ends.
func (a *Activities) TrackStatus(ctx context.Context, in wire.TrackInput) error {
	d, err := a.Store.Delivery(ctx, in.DeliveryID)
	if err != nil {
		return classifyStoreError(err)
	}
	if a.Temporal == nil {
		return nil
	}
	id := wire.StatusRecordWorkflowID(in.DeliveryID)
	if d.Status == herald.DeliverySucceeded {
		err := a.Temporal.SignalWorkflow(ctx, id, "", wire.SignalStatusChanged, nil)
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			return fmt.Errorf("signal status record: %w", err)
		}
		return nil
	}
	attrs := make([]temporal.SearchAttributeUpdate, 0, len(in.Attributes))
	for name, v := range in.Attributes {
		attrs = append(attrs, temporal.NewSearchAttributeKeyKeyword(name).ValueSet(v))
	}
	if in.StatusAttribute != "" {
		attrs = append(attrs, temporal.NewSearchAttributeKeyKeyword(in.StatusAttribute).ValueSet(string(d.Status)))
	}
	_, err = a.Temporal.SignalWithStartWorkflow(ctx, id, wire.SignalStatusChanged, nil, client.StartWorkflowOptions{
		ID: id, TaskQueue: activity.GetInfo(ctx).TaskQueue,
		StaticSummary:         "status of delivery " + in.DeliveryID,
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
	}, in.Workflow, wire.StatusRecordInput{DeliveryID: in.DeliveryID})
	if err != nil {
		return fmt.Errorf("signal-with-start status record: %w", err)
	}
	return nil
}

// DeliveryStatus reads a delivery's current status.
func (a *Activities) DeliveryStatus(ctx context.Context, deliveryID string) (string, error) {
	d, err := a.Store.Delivery(ctx, deliveryID)
	if err != nil {
		return "", classifyStoreError(err)
	}
	return string(d.Status), nil
}
