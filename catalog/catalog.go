// Package catalog holds Herald's example event catalog: every event of the five products Herald stands in for.
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
