package catalog

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/herald-webhooks/herald"
)

// Schema is a compiled JSON Schema for the data of one event type.
type Schema struct {
	compiled *jsonschema.Schema
}

// schemaURL is the name a schema is compiled under; it never leaves the process.
const schemaURL = "herald:///event-type-schema.json"

// noLoader refuses every URL a schema refers to: schemas are self-contained, and compiling one
// must never read a file or the network (the library's default loader reads file:// URLs).
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schemas must be self-contained; %s cannot be loaded", url)
}

// Compile compiles a JSON Schema (Draft 2020-12 unless its $schema names another draft). Its
// error is a *herald.Error naming the field "schema".
func Compile(schema []byte) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, schemaError("is not valid JSON")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, schemaError("is not a valid JSON Schema")
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return nil, schemaError(compileMessage(err))
	}
	return &Schema{compiled: sch}, nil
}

func schemaError(msg string) error {
	return &herald.Error{Code: herald.EInvalid, Message: "the schema is not a valid JSON Schema",
		Details: []herald.ErrorDetail{{Field: "schema", Message: msg}}}
}

// compileMessage keeps the library's explanation of a bad schema without its internal URL.
func compileMessage(err error) string {
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		// The schema broke a rule of its metaschema: name the first offending keyword.
		for _, u := range leaves(ve) {
			return fmt.Sprintf("is not a valid JSON Schema: at %s: %s", pointerOrRoot(u.InstanceLocation), u.Error.String())
		}
	}
	msg := strings.ReplaceAll(err.Error(), schemaURL, "schema")
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return "is not a valid JSON Schema: " + msg
}

func pointerOrRoot(p string) string {
	if p == "" {
		return "the root"
	}
	return p
}

// leaves are the innermost failures of a validation error, the ones that name a cause.
func leaves(ve *jsonschema.ValidationError) []jsonschema.OutputUnit {
	var out []jsonschema.OutputUnit
	for _, u := range ve.BasicOutput().Errors {
		if u.Error != nil {
			out = append(out, u)
		}
	}
	return out
}

// maxDetails bounds the field details of one validation answer.
const maxDetails = 20

// Validate checks data (JSON text) against the schema. It returns one detail per failing
// location, its field the JSON path under root (e.g. "data.summary.title",
// "data.transcript[0].start"); none when data is valid.
func (s *Schema) Validate(root string, data []byte) []herald.ErrorDetail {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return []herald.ErrorDetail{{Field: root, Message: "is not valid JSON"}}
	}
	err = s.compiled.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []herald.ErrorDetail{{Field: root, Message: "could not be validated against the schema"}}
	}
	seen := map[string]bool{}
	var details []herald.ErrorDetail
	add := func(d herald.ErrorDetail) {
		if key := d.Field + "\x00" + d.Message; !seen[key] {
			seen[key] = true
			details = append(details, d)
		}
	}
	for _, u := range leaves(ve) {
		field := fieldPath(root, inst, u.InstanceLocation)
		if req, ok := u.Error.Kind.(*kind.Required); ok {
			// Name the missing member itself: data.summary.title "is required".
			for _, name := range req.Missing {
				add(herald.ErrorDetail{Field: field + "." + name, Message: "is required"})
			}
			continue
		}
		add(herald.ErrorDetail{Field: field, Message: u.Error.String()})
	}
	if len(details) == 0 {
		details = []herald.ErrorDetail{{Field: root, Message: "does not match the event type's schema"}}
	}
	sort.SliceStable(details, func(i, j int) bool { return details[i].Field < details[j].Field })
	if len(details) > maxDetails {
		details = details[:maxDetails]
	}
	return details
}

// fieldPath turns a JSON pointer into the instance into a dotted path: object members are
// ".name", array elements "[i]".
func fieldPath(root string, inst any, pointer string) string {
	var sb strings.Builder
	sb.WriteString(root)
	if pointer == "" {
		return sb.String()
	}
	v := inst
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			if err == nil && i >= 0 && i < len(x) {
				fmt.Fprintf(&sb, "[%d]", i)
				v = x[i]
				continue
			}
			v = nil
		case map[string]any:
			v = x[tok]
		default:
			v = nil
		}
		sb.WriteByte('.')
		sb.WriteString(tok)
	}
	return sb.String()
}

// Schemas caches compiled schemas by the SHA-256 of their text, so a schema is compiled once
// per process however often events of its type are published. Keying by content makes the
// cache correct across API processes: a PUT that changes a schema changes its key, and a
// process that reads the new text compiles it. The zero value is ready to use.
type Schemas struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]*Schema
}

// maxCachedSchemas bounds the cache; past it the cache starts over.
const maxCachedSchemas = 1024

// Get returns the compiled schema for its text, compiling it on first use.
func (c *Schemas) Get(schema []byte) (*Schema, error) {
	key := sha256.Sum256(schema)
	c.mu.Lock()
	s, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := Compile(schema)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedSchemas {
		c.m = map[[sha256.Size]byte]*Schema{}
	}
	c.m[key] = s
	return s, nil
}

// Len is the number of cached schemas.
func (c *Schemas) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
