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
)

// statusStore is what the status activities need of PostgreSQL.
type statusStore interface {
	Delivery(ctx context.Context, id string) (*herald.Delivery, error)
}

// StatusRecordWorkflowID is the ID of the workflow that carries a delivery's current status
// (HeraldDeliveryStatus) while the delivery is not delivered: a closed delivery workflow's
// search attributes cannot change, so a delivery a redelivery fixed later would otherwise still
// be listed as failed.
func StatusRecordWorkflowID(deliveryID string) string { return "status/" + deliveryID }

// SignalStatusChanged tells a delivery's status record that the delivery's status in
// PostgreSQL may have changed; the record reads it again.
const SignalStatusChanged = "herald.status_changed"

// TrackInput names a delivery whose status record must follow its status in PostgreSQL.
type TrackInput struct {
	DeliveryID string
	// Workflow is the status record's workflow type, and Attributes the keyword search
	// attributes a new record starts with (the delivery's event type, webhook and owner).
	Workflow   string
	Attributes map[string]string
	// StatusAttribute is the keyword search attribute that holds the status: a new record
	// starts with the status read here, so that it needs no update of its own.
	StatusAttribute string
}

// TrackStatus brings the delivery's status record up to date after its status changed in
// PostgreSQL: a delivery that is not delivered gets a record (started, or signalled if it has
// one already); a delivered one only signals the record it may have, which then ends.
func (a *Activities) TrackStatus(ctx context.Context, in TrackInput) error {
	d, err := a.Store.Delivery(ctx, in.DeliveryID)
	if err != nil {
		return classifyStoreError(err)
	}
	if a.Temporal == nil {
		return nil
	}
	id := StatusRecordWorkflowID(in.DeliveryID)
	if d.Status == herald.DeliverySucceeded {
		err := a.Temporal.SignalWorkflow(ctx, id, "", SignalStatusChanged, nil)
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
		attrs = append(attrs, temporal.NewSearchAttributeKeyKeyword(in.StatusAttribute).ValueSet(d.Status))
	}
	_, err = a.Temporal.SignalWithStartWorkflow(ctx, id, SignalStatusChanged, nil, client.StartWorkflowOptions{
		ID: id, TaskQueue: activity.GetInfo(ctx).TaskQueue,
		StaticSummary:         "status of delivery " + in.DeliveryID,
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
	}, in.Workflow, StatusRecordInput{DeliveryID: in.DeliveryID})
	if err != nil {
		return fmt.Errorf("signal-with-start status record: %w", err)
	}
	return nil
}

// StatusRecordInput starts a delivery's status record.
type StatusRecordInput struct {
	DeliveryID string
}

// DeliveryStatus reads a delivery's current status.
func (a *Activities) DeliveryStatus(ctx context.Context, deliveryID string) (string, error) {
	d, err := a.Store.Delivery(ctx, deliveryID)
	if err != nil {
		return "", classifyStoreError(err)
	}
	return d.Status, nil
}
