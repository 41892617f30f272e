package wire_test

import (
	"reflect"
	"testing"

	"github.com/herald-webhooks/herald/internal/wire"
)

// TestWireTypesHaveNoJSONNames keeps the wire encoded by Go field names: a JSON tag here would
// tie a payload recorded in a history to a name someone may rename, and a type shared with the
// public API would tie it to the API's names (the legacy names are only decoded, by
// RetryPolicy.UnmarshalJSON).
func TestWireTypesHaveNoJSONNames(t *testing.T) {
	values := []any{
		wire.EventInput{}, wire.EventResult{}, wire.DeliveryInput{}, wire.DeliveryResult{}, wire.RetryPolicy{},
		wire.ResolveInput{}, wire.ResolveResult{}, wire.Destination{}, wire.DeliverInput{}, wire.DeliverResult{},
		wire.FailedAttempt{}, wire.FinishInput{}, wire.TrackInput{}, wire.StatusRecordInput{}, wire.ReplayInput{},
		wire.ReplayProgress{}, wire.ReplayPageInput{}, wire.ReplayItem{}, wire.CancelDeliveriesInput{},
		wire.CancelPageInput{}, wire.CancelPageResult{},
	}
	for _, v := range values {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			f := typ.Field(i)
			if tag, ok := f.Tag.Lookup("json"); ok {
				t.Errorf("%s.%s has the JSON tag %q", typ.Name(), f.Name, tag)
			}
			if f.Type.PkgPath() != "" && f.Type.PkgPath() != typ.PkgPath() && f.Type.PkgPath() != "time" {
				t.Errorf("%s.%s is a %s, not a wire type", typ.Name(), f.Name, f.Type)
			}
		}
	}
}
