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
	"time"

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

// The bounds a schema must keep. The library's compile cost grows faster than linearly in the
// nesting depth and in the number of subschemas (BENCHMARKS.md, "Schema compile cost"), so the
// text is measured before it is compiled. The example catalog's largest schema is 2.5 KB deep 14 with 78 objects.
const (
	MaxSchemaBytes   = 64 << 10 // the schema's text, compacted as stored
	MaxSchemaDepth   = 64       // nesting of JSON objects and arrays, the root counting as 1
	MaxSchemaObjects = 2000     // JSON objects in the schema, each a potential subschema

	// CompileBudget is how long compiling a schema within the bounds above may take (they keep
	// it to milliseconds; the budget guards against a cost the bounds do not foresee). A schema
	// that exceeds it is refused when it is put, so it never slows a publish.
	CompileBudget = 2 * time.Second
)

// Compile compiles a JSON Schema (Draft 2020-12 unless its $schema names another draft). It
// refuses a schema beyond the bounds above and one that does not compile within
// CompileBudget. Its error is a *herald.Error naming the field "schema".
func Compile(schema []byte) (*Schema, error) {
	return startCompile(schema, nil).wait(CompileBudget)
}

// compilation is one compile of a schema text, running in its own goroutine so that waiting
// for it can be bounded. The library offers no way to stop a compile, so one that overruns its
// budget finishes in the background; the bounds keep that short.
type compilation struct {
	done chan struct{} // closed when s and err are set
	s    *Schema
	err  error
}

// startCompile starts compiling schema; settled (when not nil) sees the result before any
// waiter does.
func startCompile(schema []byte, settled func(*compilation)) *compilation {
	cp := &compilation{done: make(chan struct{})}
	go func() {
		defer close(cp.done)
		cp.s, cp.err = compile(schema)
		if settled != nil {
			settled(cp)
		}
	}()
	return cp
}

// wait is the compile's result, or a refusal naming the budget when it takes longer.
func (cp *compilation) wait(budget time.Duration) (*Schema, error) {
	timer := time.NewTimer(budget)
	defer timer.Stop()
	select {
	case <-cp.done:
		return cp.s, cp.err
	case <-timer.C:
		return nil, schemaError(fmt.Sprintf("takes longer than %v to compile (at most %v is allowed); make it smaller or simpler", budget, budget))
	}
}

// compile checks the bounds and compiles, without a time limit.
func compile(schema []byte) (*Schema, error) {
	if err := checkBounds(schema); err != nil {
		return nil, err
	}
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

// checkBounds measures the schema's text in one pass, without parsing it (parsing and
// compiling are what the bounds protect). Text that is not JSON is left for the parser to
// refuse.
func checkBounds(schema []byte) error {
	if len(schema) > MaxSchemaBytes {
		return schemaError(fmt.Sprintf("is %d bytes long; at most %d are allowed", len(schema), MaxSchemaBytes))
	}
	depth, objects := 0, 0
	inString, escaped := false, false
	for _, b := range schema {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			if depth++; depth > MaxSchemaDepth {
				return schemaError(fmt.Sprintf("nests objects and arrays more than %d levels deep; at most %d are allowed", MaxSchemaDepth, MaxSchemaDepth))
			}
			if b == '{' {
				if objects++; objects > MaxSchemaObjects {
					return schemaError(fmt.Sprintf("has more than %d objects (subschemas and their keyword maps); at most %d are allowed", MaxSchemaObjects, MaxSchemaObjects))
				}
			}
		case b == '}' || b == ']':
			depth--
		}
	}
	return nil
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
// process that reads the new text compiles it. Concurrent publishes of a type whose schema is
// not yet compiled share one compile, each waiting at most CompileBudget for it. The zero
// value is ready to use.
type Schemas struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]*compilation // compiled and compiling; failed ones are dropped
}

// maxCachedSchemas bounds the cache; past it the cache starts over.
const maxCachedSchemas = 1024

// Get returns the compiled schema for its text, compiling it on first use.
func (c *Schemas) Get(schema []byte) (*Schema, error) {
	key := sha256.Sum256(schema)
	c.mu.Lock()
	cp, ok := c.m[key]
	if !ok {
		if c.m == nil || len(c.m) >= maxCachedSchemas {
			c.m = map[[sha256.Size]byte]*compilation{}
		}
		cp = startCompile(schema, func(cp *compilation) { c.dropIfFailed(key, cp) })
		c.m[key] = cp
	}
	c.mu.Unlock()
	return cp.wait(CompileBudget)
}

// dropIfFailed forgets a compile that failed, so the cache holds compiled schemas only.
func (c *Schemas) dropIfFailed(key [sha256.Size]byte, cp *compilation) {
	if cp.err == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[key] == cp {
		delete(c.m, key)
	}
}

// Len is the number of cached schemas, counting those still compiling.
func (c *Schemas) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
