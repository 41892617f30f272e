package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/herald-webhooks/herald"
)

// decodeJSON reads the request body (already capped by the size limit) into v, strictly: the
// body is one JSON object; every string is valid UTF-8 (else 400), and every string decoded
// into a Go string is free of NUL bytes (PostgreSQL refuses them in text); every member is a
// field of v's type, at any depth (else 422 naming each unknown one, "retry.foo"). Opaque JSON
// (json.RawMessage such as event data, or a type with its own UnmarshalJSON) is checked for
// UTF-8 only. The check follows v's type, so a field added to a request struct is known at once.
func decodeJSON(c *gin.Context, v any) error {
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	if err := checkBody(raw, reflect.TypeOf(v), readOnlyOf(v)); err != nil {
		return err
	}
	return decodeBytes(raw, v)
}

// decodePatch decodes a JSON Merge Patch of a request of shape's type into a map, with
// decodeJSON's checks against that type (null is a member's reset, so it passes any field).
func decodePatch(c *gin.Context, shape any) (map[string]any, error) {
	raw, err := readBody(c)
	if err != nil {
		return nil, err
	}
	if err := checkBody(raw, reflect.TypeOf(shape), readOnlyOf(shape)); err != nil {
		return nil, err
	}
	var patch map[string]any
	return patch, decodeBytes(raw, &patch)
}

// decodeAs decodes the body into v (a map, for a merge patch) with decodeJSON's checks against
// the type of shape, the request whose fields the body may name.
func decodeAs(c *gin.Context, v any, shape any) error {
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	if err := checkBody(raw, reflect.TypeOf(shape), readOnlyOf(shape)); err != nil {
		return err
	}
	return decodeBytes(raw, v)
}

func readBody(c *gin.Context) ([]byte, error) {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		return nil, herald.Errorf(herald.EMalformed, "could not read the request body")
	}
	return raw, nil
}

// readOnlyFielder is a request type that names the fields of its resource a client may read
// but not set, each with the way to change it (for the error of a body that sends one).
type readOnlyFielder interface {
	readOnlyFields() map[string]string
}

func readOnlyOf(v any) map[string]string {
	if r, ok := v.(readOnlyFielder); ok {
		return r.readOnlyFields()
	}
	return nil
}

// checkBody checks raw against the shape of t (see decodeJSON) before anything decodes it.
// readOnly gives the message for top-level members that are read-only fields of the resource.
func checkBody(raw []byte, t reflect.Type, readOnly map[string]string) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return herald.Errorf(herald.EMalformed, "request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var whole json.RawMessage
	if err := dec.Decode(&whole); err != nil {
		return herald.Errorf(herald.EMalformed, "request body is not valid JSON")
	}
	if dec.More() {
		return herald.Errorf(herald.EMalformed, "request body has data after the JSON value")
	}
	if trimmed[0] != '{' {
		return &herald.Error{Code: herald.EInvalid, Message: "request body must be a JSON object, not " + jsonKindOf(trimmed[0]),
			Details: []herald.ErrorDetail{{Field: "body", Message: "must be a JSON object"}}}
	}
	w := bodyWalker{raw: trimmed, dec: json.NewDecoder(bytes.NewReader(trimmed)), readOnly: readOnly}
	w.dec.UseNumber()
	if err := w.value(t, ""); err != nil {
		return herald.Errorf(herald.EMalformed, "request body is not valid JSON")
	}
	switch {
	case len(w.badText) > 0:
		return &herald.Error{Code: herald.EMalformed, Message: "request body is not valid UTF-8", Details: w.badText}
	case len(w.details) > 0:
		return &herald.Error{Code: herald.EInvalid, Message: "the request has fields that cannot be accepted", Details: w.details}
	}
	return nil
}

func jsonKindOf(first byte) string {
	switch first {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// bodyWalker reads a JSON document token by token alongside the Go type it will decode into.
type bodyWalker struct {
	raw      []byte
	dec      *json.Decoder
	readOnly map[string]string
	badText  []herald.ErrorDetail // strings that are not UTF-8: the body is malformed
	details  []herald.ErrorDetail // NUL bytes, unknown and read-only fields
}

var (
	rawMessageType  = reflect.TypeOf(json.RawMessage(nil))
	unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

// opaque reports whether values of t are decoded by something else than field matching.
func opaque(t reflect.Type) bool {
	return t == nil || t == rawMessageType || t.Kind() == reflect.Interface ||
		t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)
}

// token reads the next token and checks the text it was read from.
func (w *bodyWalker) token(t reflect.Type, path string) (json.Token, error) {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(w.raw[start:w.dec.InputOffset()]) {
		w.badText = append(w.badText, herald.ErrorDetail{Field: fieldName(path), Message: "must be valid UTF-8"})
	} else if s, ok := tok.(string); ok && strings.IndexByte(s, 0) >= 0 && (t == nil || !opaque(t)) {
		w.details = append(w.details, herald.ErrorDetail{Field: fieldName(path), Message: "must not contain NUL bytes"})
	}
	return tok, nil
}

func fieldName(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// value walks one value that decodes into t (nil: a value of an unknown field, text checks only).
func (w *bodyWalker) value(t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer && !opaque(t) {
		t = t.Elem()
	}
	tok, err := w.token(t, path)
	if err != nil {
		return err
	}
	if t != nil && opaque(t) {
		t = nil // its members are not Go fields; keep checking its text
	}
	switch tok {
	case json.Delim('{'):
		return w.object(t, path)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; w.dec.More(); i++ {
			if err := w.value(elem, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		_, err := w.dec.Token()
		return err
	}
	return nil
}

func (w *bodyWalker) object(t reflect.Type, path string) error {
	var fields map[string]reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		fields = jsonFields(t)
	}
	for w.dec.More() {
		keyTok, err := w.token(reflect.TypeOf(""), path)
		if err != nil {
			return err
		}
		key, _ := keyTok.(string)
		member := key
		if path != "" {
			member = path + "." + key
		}
		var ft reflect.Type
		switch {
		case t == nil:
		case t.Kind() == reflect.Map:
			ft = t.Elem()
		case fields != nil:
			var known bool
			if ft, known = fields[key]; !known {
				msg := "unknown field"
				if hint, ok := w.readOnly[key]; ok && path == "" {
					msg = hint
				}
				w.details = append(w.details, herald.ErrorDetail{Field: member, Message: msg})
			}
		}
		if err := w.value(ft, member); err != nil {
			return err
		}
	}
	_, err := w.dec.Token()
	return err
}

// jsonFields are the members encoding/json decodes into a struct, by JSON name, with the
// members of embedded structs.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, ok := out[k]; !ok {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// checkURLText refuses a request whose path parameters or query carry text PostgreSQL cannot
// take (NUL bytes, invalid UTF-8, a malformed %-escape): 400 naming the parameter, before any
// handler looks it up. Bodies are checked by decodeJSON.
func (s *Server) checkURLText() gin.HandlerFunc {
	return func(c *gin.Context) {
		var d []herald.ErrorDetail
		for _, p := range c.Params {
			if msg := herald.TextProblem(p.Value); msg != "" {
				d = append(d, herald.ErrorDetail{Field: p.Key, Message: msg})
			}
		}
		q, err := url.ParseQuery(c.Request.URL.RawQuery)
		if err != nil {
			d = append(d, herald.ErrorDetail{Field: "query", Message: "is not a valid URL query: " + err.Error()})
		}
		for k, vs := range q {
			if msg := herald.TextProblem(k); msg != "" {
				d = append(d, herald.ErrorDetail{Field: "query", Message: "parameter names " + msg})
				continue
			}
			for _, v := range vs {
				if msg := herald.TextProblem(v); msg != "" {
					d = append(d, herald.ErrorDetail{Field: k, Message: msg})
					break
				}
			}
		}
		if len(d) > 0 {
			s.writeError(c, &herald.Error{Code: herald.EMalformed, Message: "the request URL has text Herald cannot accept", Details: d})
			return
		}
		c.Next()
	}
}
