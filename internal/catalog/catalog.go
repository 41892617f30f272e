// Package catalog holds Herald's event catalog rules and its example catalog.
//
// An event type may carry a JSON Schema for its data (Draft 2020-12 unless the schema's
// $schema names another draft). Compile checks a schema when it is stored; Schemas caches
// compiled schemas by the hash of their text, and publishing validates each event's data with
// it, answering failures with the JSON path of each failing value ("data.summary.title").
// Schemas are self-contained: references to files or URLs are refused. A schema is bounded in
// size, nesting and number of objects, and its compile in time (MaxSchemaBytes, MaxSchemaDepth,
// MaxSchemaObjects, CompileBudget), so no schema can tie up the API when it is put or when its
// type is first published in a process.
//
// Examples is the example catalog `herald dev` loads: every event of the five products Herald
// stands in for, each with an example payload that its schema accepts.
package catalog

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed examples.json
var examplesJSON []byte

// EventType is one entry of the example catalog.
type EventType struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Group       string          `json:"group"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
}

// Examples returns the example catalog, parsed from the embedded examples.json (go:embed), in file order.
func Examples() ([]EventType, error) {
	var out []EventType
	if err := json.Unmarshal(examplesJSON, &out); err != nil {
		return nil, fmt.Errorf("catalog: parse examples.json: %w", err)
	}
	return out, nil
}
