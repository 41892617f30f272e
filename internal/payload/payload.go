package payload

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// maxDepth is the deepest nesting of arrays and objects Canonical accepts.
// The top-level container is at depth 1.
const maxDepth = 512

var (
	errTooDeep     = errors.New("nesting too deep")
	errNumberRange = errors.New("number out of float64 range")
)

// Canonical returns raw re-encoded as JavaScript's JSON.stringify(JSON.parse(raw)) would print it.
//
// raw must be a single JSON text (RFC 8259) encoded as valid UTF-8,
// optionally surrounded by JSON whitespace. See the package documentation
// for the exact rules and for where Canonical deliberately rejects input
// that JSON.parse would accept.
func Canonical(raw []byte) ([]byte, error) {
	d := decoder{data: raw}
	d.skipSpace()
	out, err := d.value(make([]byte, 0, len(raw)), 0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.errorf("unexpected data after top-level value")
	}
	return out, nil
}

// Field is one member of an object being built, in order.
type Field struct {
	Key   string
	Value json.RawMessage // any JSON text; it is canonicalized
}

// Object builds a canonical JSON object from fields in the given order (same
// rules as Canonical, including JS key ordering and duplicate handling),
// skipping fields whose Value is nil/empty.
//
// Key is the property name itself (not JSON-encoded) and must be valid UTF-8.
// A skipped field does not take part in duplicate handling: it neither
// reserves a position nor removes an earlier field with the same key.
func Object(fields ...Field) ([]byte, error) {
	var (
		buf []byte
		ms  members
	)
	for i, f := range fields {
		if len(f.Value) == 0 {
			continue
		}
		if !utf8.ValidString(f.Key) {
			return nil, fmt.Errorf("payload: field %d: key is not valid UTF-8", i)
		}
		ks := len(buf)
		buf = appendString(buf, f.Key)
		ke := len(buf)
		v, err := Canonical(f.Value)
		if err != nil {
			return nil, fmt.Errorf("payload: field %d (%q): %w", i, f.Key, err)
		}
		buf = append(buf, v...)
		ms.add(buf, span{ks, ke}, span{ke, len(buf)})
	}
	return appendObject(make([]byte, 0, len(buf)+2*len(ms.list)+2), buf, ms.list), nil
}

// span is a half-open byte range [start, end) of an encoding buffer.
type span struct{ start, end int }

// member is one property of an object under construction. key and val point
// into a shared buffer; key is the already-encoded (quoted, canonical)
// property name, so two names are the same JavaScript string exactly when
// their encodings are byte-for-byte equal.
type member struct {
	key, val span
	index    uint32 // numeric value when isIndex
	isIndex  bool
}

// members collects the properties of one object in insertion order.
type members struct {
	list     []member
	byName   map[string]int // index into list; built once the object grows large
	replaced bool           // a duplicate name replaced an earlier value
}

// linearLimit is the member count up to which duplicates are found by
// scanning instead of through a map.
const linearLimit = 16

// add appends a new property, or, if a property with the same name is
// already present, replaces its value in place (last value wins, first
// position kept), as JavaScript's CreateDataProperty does.
func (ms *members) add(buf []byte, key, val span) {
	name := buf[key.start:key.end]
	if ms.byName != nil {
		if i, ok := ms.byName[string(name)]; ok {
			ms.list[i].val = val
			ms.replaced = true
			return
		}
	} else {
		for i := range ms.list {
			m := &ms.list[i]
			if string(buf[m.key.start:m.key.end]) == string(name) {
				m.val = val
				ms.replaced = true
				return
			}
		}
	}
	idx, ok := arrayIndex(name[1 : len(name)-1])
	ms.list = append(ms.list, member{key: key, val: val, index: idx, isIndex: ok})
	switch {
	case ms.byName != nil:
		ms.byName[string(name)] = len(ms.list) - 1
	case len(ms.list) > linearLimit:
		ms.byName = make(map[string]int, 2*len(ms.list))
		for i, m := range ms.list {
			ms.byName[string(buf[m.key.start:m.key.end])] = i
		}
	}
}

// arrayIndex reports whether the (unquoted, canonically encoded) property
// name s is an ECMAScript array index: the canonical decimal form of an
// integer in [0, 2^32-2]. Such a name never contains characters that need
// escaping, so its encoding equals the name itself.
func arrayIndex(s []byte) (uint32, bool) {
	if len(s) == 0 || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var n uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > 1<<32-2 {
		return 0, false
	}
	return uint32(n), true
}

// propertyOrder compares members by JavaScript property order: array
// indices ascending, then the other names, which compare equal so that a
// stable sort keeps them in insertion order.
func propertyOrder(a, b member) int {
	switch {
	case a.isIndex && b.isIndex:
		if a.index < b.index {
			return -1
		}
		if a.index > b.index {
			return 1
		}
		return 0 // cannot happen: duplicates were merged
	case a.isIndex:
		return -1
	case b.isIndex:
		return 1
	}
	return 0
}

// appendObject writes the members (whose bytes live in buf) to dst in
// JavaScript property order.
func appendObject(dst, buf []byte, members []member) []byte {
	slices.SortStableFunc(members, propertyOrder)
	dst = append(dst, '{')
	for i, m := range members {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, buf[m.key.start:m.key.end]...)
		dst = append(dst, ':')
		dst = append(dst, buf[m.val.start:m.val.end]...)
	}
	return append(dst, '}')
}

// decoder parses JSON from data and writes its canonical form as it goes.
type decoder struct {
	data []byte
	pos  int
}

// Error is why Canonical refused its input, and where: the byte offset in the text it was
// given, so that a caller can name the JSON path (a publish answers 422 on "data.a[3]").
type Error struct {
	Offset int    // byte offset of the problem in Canonical's input
	Reason string // what is wrong, e.g. "more than 512 nested arrays/objects"
	err    error  // errTooDeep, errNumberRange, or nil for a syntax or encoding error
}

func (e *Error) Error() string {
	if e.err == nil {
		return fmt.Sprintf("payload: invalid JSON at offset %d: %s", e.Offset, e.Reason)
	}
	return fmt.Sprintf("payload: at offset %d: %v: %s", e.Offset, e.err, e.Reason)
}

func (e *Error) Unwrap() error { return e.err }

func (d *decoder) errorf(format string, args ...any) error {
	return &Error{Offset: d.pos, Reason: fmt.Sprintf(format, args...)}
}

func (d *decoder) wrap(err error, format string, args ...any) error {
	return &Error{Offset: d.pos, Reason: fmt.Sprintf(format, args...), err: err}
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// unexpected reports the byte at the current position (or end of input).
func (d *decoder) unexpected(context string) error {
	if d.pos >= len(d.data) {
		return d.errorf("unexpected end of input %s", context)
	}
	c := d.data[d.pos]
	if c >= 0x20 && c < 0x7f {
		return d.errorf("unexpected character %q %s", c, context)
	}
	return d.errorf("unexpected byte 0x%02x %s", c, context)
}

// value parses one JSON value at d.pos, which must not be whitespace, and
// appends its canonical form to dst. depth is the number of enclosing
// containers.
func (d *decoder) value(dst []byte, depth int) ([]byte, error) {
	if d.pos >= len(d.data) {
		return nil, d.unexpected("where a value was expected")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(dst, depth+1)
	case c == '[':
		return d.array(dst, depth+1)
	case c == '"':
		return d.string(dst)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number(dst)
	case c == 't':
		return d.literal(dst, "true")
	case c == 'f':
		return d.literal(dst, "false")
	case c == 'n':
		return d.literal(dst, "null")
	}
	return nil, d.unexpected("where a value was expected")
}

func (d *decoder) literal(dst []byte, lit string) ([]byte, error) {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return nil, d.errorf("invalid literal, expected %s", lit)
	}
	d.pos += len(lit)
	return append(dst, lit...), nil
}

func (d *decoder) array(dst []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, d.wrap(errTooDeep, "more than %d nested arrays/objects", maxDepth)
	}
	d.pos++ // '['
	dst = append(dst, '[')
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return append(dst, ']'), nil
	}
	for {
		var err error
		d.skipSpace()
		if dst, err = d.value(dst, depth); err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.unexpected("in array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			dst = append(dst, ',')
		case ']':
			d.pos++
			return append(dst, ']'), nil
		default:
			return nil, d.unexpected("in array, expected ',' or ']'")
		}
	}
}

func (d *decoder) object(dst []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, d.wrap(errTooDeep, "more than %d nested arrays/objects", maxDepth)
	}
	d.pos++ // '{'
	// Members are written to dst in input order. If that turns out not to
	// be JavaScript property order, or a duplicate name replaced a value,
	// the object is rewritten from the recorded spans when it closes.
	start := len(dst)
	dst = append(dst, '{')
	var ms members
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return append(dst, '}'), nil
	}
	for {
		var err error
		if len(ms.list) > 0 {
			dst = append(dst, ',')
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.unexpected("in object, expected a string key")
		}
		ks := len(dst)
		if dst, err = d.string(dst); err != nil {
			return nil, err
		}
		ke := len(dst)
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.unexpected("in object, expected ':'")
		}
		d.pos++
		d.skipSpace()
		dst = append(dst, ':')
		vs := len(dst)
		if dst, err = d.value(dst, depth); err != nil {
			return nil, err
		}
		ms.add(dst, span{ks, ke}, span{vs, len(dst)})
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.unexpected("in object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			if !ms.replaced && slices.IsSortedFunc(ms.list, propertyOrder) {
				return append(dst, '}'), nil
			}
			scratch := slices.Clone(dst[start:])
			for i := range ms.list {
				m := &ms.list[i]
				m.key.start -= start
				m.key.end -= start
				m.val.start -= start
				m.val.end -= start
			}
			return appendObject(dst[:start], scratch, ms.list), nil
		default:
			return nil, d.unexpected("in object, expected ',' or '}'")
		}
	}
}

// number validates a JSON number, converts it to float64 as JSON.parse does
// (round to nearest, ties to even; underflow becomes 0) and appends it as
// ECMAScript Number::toString prints it.
func (d *decoder) number(dst []byte) ([]byte, error) {
	start := d.pos
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.data[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(d.data) && d.data[d.pos] == '0':
		d.pos++
	case digits() == 0:
		return nil, d.unexpected("in number, expected a digit")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.unexpected("in number, expected a digit after '.'")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.unexpected("in number, expected a digit in exponent")
		}
	}
	text := string(d.data[start:d.pos])
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		// The text is syntactically valid, so the only possible error is
		// ErrRange for a magnitude beyond float64 (underflow is not an error).
		d.pos = start
		return nil, d.wrap(errNumberRange, "%s overflows float64 (JSON.parse would give Infinity, which JSON.stringify prints as null)", text)
	}
	return appendNumber(dst, f), nil
}

// appendNumber appends f formatted by ECMAScript Number::toString(10).
// f must be finite.
func appendNumber(dst []byte, f float64) []byte {
	if f == 0 {
		return append(dst, '0') // also -0
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// Shortest digits that round-trip, in the form d[.ddd]e±x.
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	var digits [24]byte
	k := 0
	i := 0
	for ; b[i] != 'e'; i++ {
		if b[i] != '.' {
			digits[k] = b[i]
			k++
		}
	}
	i++ // 'e'
	neg := b[i] == '-'
	i++ // sign
	e := 0
	for ; i < len(b); i++ {
		e = e*10 + int(b[i]-'0')
	}
	if neg {
		e = -e
	}
	// In the spec's terms the value is 0.d1d2...dk × 10^n.
	s := digits[:k]
	n := e + 1
	switch {
	case k <= n && n <= 21:
		dst = append(dst, s...)
		for range n - k {
			dst = append(dst, '0')
		}
	case 0 < n && n <= 21:
		dst = append(dst, s[:n]...)
		dst = append(dst, '.')
		dst = append(dst, s[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, '0', '.')
		for range -n {
			dst = append(dst, '0')
		}
		dst = append(dst, s...)
	default:
		dst = append(dst, s[0])
		if k > 1 {
			dst = append(dst, '.')
			dst = append(dst, s[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(n-1), 10)
	}
	return dst
}

// string decodes the JSON string at d.pos and appends it re-encoded as
// JSON.stringify would. Decoding and encoding happen in one pass: runs of
// literal characters are copied unchanged (they never need escaping), and
// each escape sequence is replaced by its canonical form.
func (d *decoder) string(dst []byte) ([]byte, error) {
	d.pos++ // opening quote
	dst = append(dst, '"')
	for {
		runStart := d.pos
		for d.pos < len(d.data) {
			c := d.data[d.pos]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			if c < utf8.RuneSelf {
				d.pos++
				continue
			}
			r, size := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && size == 1 {
				return nil, d.errorf("invalid UTF-8 in string")
			}
			d.pos += size
		}
		dst = append(dst, d.data[runStart:d.pos]...)
		if d.pos >= len(d.data) {
			return nil, d.errorf("unterminated string")
		}
		switch c := d.data[d.pos]; {
		case c == '"':
			d.pos++
			return append(dst, '"'), nil
		case c < 0x20:
			return nil, d.errorf("unescaped control character 0x%02x in string", c)
		}
		// Backslash escape.
		if d.pos+1 >= len(d.data) {
			d.pos++
			return nil, d.errorf("unterminated string")
		}
		esc := d.data[d.pos+1]
		switch esc {
		case '"', '\\', 'b', 'f', 'n', 'r', 't':
			dst = append(dst, '\\', esc)
			d.pos += 2
			continue
		case '/':
			dst = append(dst, '/')
			d.pos += 2
			continue
		case 'u':
		default:
			d.pos++
			return nil, d.unexpected("in string escape")
		}
		u, ok := d.hex4(d.pos + 2)
		if !ok {
			return nil, d.errorf("invalid \\u escape in string")
		}
		d.pos += 6
		switch {
		case u >= 0xd800 && u < 0xdc00:
			// High surrogate: combine with an immediately following
			// escaped low surrogate, otherwise it is lone.
			if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
				if lo, ok := d.hex4(d.pos + 2); ok && lo >= 0xdc00 && lo < 0xe000 {
					d.pos += 6
					dst = utf8.AppendRune(dst, 0x10000+(rune(u)-0xd800)<<10+(rune(lo)-0xdc00))
					continue
				}
			}
			dst = appendUnitEscape(dst, u)
		case u >= 0xdc00 && u < 0xe000:
			dst = appendUnitEscape(dst, u) // lone low surrogate
		default:
			dst = appendUnit(dst, u)
		}
	}
}

// hex4 parses the four hex digits at data[i:i+4].
func (d *decoder) hex4(i int) (uint16, bool) {
	if i+4 > len(d.data) {
		return 0, false
	}
	var u uint16
	for _, c := range d.data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		u = u<<4 | uint16(c)
	}
	return u, true
}

const hexDigits = "0123456789abcdef"

// appendUnitEscape appends \uXXXX with lowercase hex.
func appendUnitEscape(dst []byte, u uint16) []byte {
	return append(dst, '\\', 'u', hexDigits[u>>12], hexDigits[u>>8&0xf], hexDigits[u>>4&0xf], hexDigits[u&0xf])
}

// appendUnit appends the non-surrogate code point u as JSON.stringify's
// QuoteJSONString would.
func appendUnit(dst []byte, u uint16) []byte {
	switch u {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	if u < 0x20 {
		return appendUnitEscape(dst, u)
	}
	return utf8.AppendRune(dst, rune(u))
}

// appendString appends the valid UTF-8 string s quoted as JSON.stringify
// would.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for _, r := range s {
		if r < 0x80 {
			dst = appendUnit(dst, uint16(r))
		} else {
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}
