package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// canonicalCases are inputs with their expected output, written out by hand.
var canonicalCases = []struct {
	name string
	in   string
	want string
}{
	// Layout.
	{"removes all whitespace between tokens", " {\n\t\"a\" : [ 1 , 2 ] ,\r\n \"b\" : { } } ", `{"a":[1,2],"b":{}}`},
	{"keeps empty arrays and objects", `[ [ ] , { } ]`, `[[],{}]`},
	{"keeps whitespace inside strings", `" a\tb "`, `" a\tb "`},
	{"accepts a bare scalar at top level", ` 42 `, `42`},
	{"copies true, false and null as they are", `[true,false,null]`, `[true,false,null]`},
	{"reproduces the example from the brief", `{"html":"<p>a & b</p>","n":0.0,"s":1e-7,"f":1.50}`, `{"html":"<p>a & b</p>","n":0,"s":1e-7,"f":1.5}`},

	// Strings.
	{"does not escape html characters", `"<script>a && b</script>"`, `"<script>a && b</script>"`},
	{"decodes escaped html characters to raw ones", `"\u003cb\u003e \u0026 \u003E"`, `"<b> & >"`},
	{"writes line and paragraph separators raw", "\"a\u2028b\u2029c\"", "\"a\u2028b\u2029c\""},
	{"decodes escaped line and paragraph separators to raw ones", `"\u2028\u2029"`, "\"\u2028\u2029\""},
	{"keeps quote and backslash escapes", `"say \"hi\" \\ bye"`, `"say \"hi\" \\ bye"`},
	{"decodes an escaped quote and backslash written as unicode escapes", `"\u0022\u005c"`, `"\"\\"`},
	{"unescapes a forward slash", `"a\/b"`, `"a/b"`},
	{"uses short escapes for backspace, form feed, newline, return and tab", `"\u0008\u000c\u000a\u000d\u0009"`, `"\b\f\n\r\t"`},
	{"keeps short escapes as they are", `"\b\f\n\r\t"`, `"\b\f\n\r\t"`},
	{"uses lowercase unicode escapes for other control characters", `"\u0000\u0001\u001F\u000B"`, `"\u0000\u0001\u001f\u000b"`},
	{"writes DEL raw", `"\u007f"`, "\"\x7f\""},
	{"decodes escaped non-ascii characters to raw utf-8", `"\u00e9\u00E9\u4e2d"`, `"éé中"`},
	{"keeps raw non-ascii characters", `"héllo wörld 中文"`, `"héllo wörld 中文"`},
	{"keeps a raw emoji", `"😀"`, `"😀"`},
	{"combines an escaped surrogate pair into a raw emoji", `"\ud83d\ude00"`, `"😀"`},
	{"combines an uppercase escaped surrogate pair", `"\uD83D\uDE00"`, `"😀"`},
	{"keeps a lone high surrogate as a lowercase escape", `"\uD800"`, `"\ud800"`},
	{"keeps a lone low surrogate as an escape", `"x\udc00y"`, `"x\udc00y"`},
	{"keeps a high surrogate followed by a non-surrogate escape lone", `"\ud800\u0041"`, `"\ud800A"`},
	{"keeps two high surrogates lone", `"\ud800\ud800"`, `"\ud800\ud800"`},
	{"pairs the second of two high surrogates with a following low one", `"\ud800\ud83d\ude00"`, `"\ud800😀"`},
	{"keeps a reversed surrogate pair as two lone escapes", `"\ude00\ud83d"`, `"\ude00\ud83d"`},
	{"keeps a raw replacement character", "\"\uFFFD\"", "\"\uFFFD\""},

	// Numbers.
	{"prints zero with a fraction as 0", `0.0`, `0`},
	{"prints negative zero as 0", `-0`, `0`},
	{"prints negative zero with fraction and exponent as 0", `-0.0e5`, `0`},
	{"drops trailing zeros of a fraction", `1.50`, `1.5`},
	{"drops the fraction of a whole number", `100.0`, `100`},
	{"expands a small positive exponent", `1e2`, `100`},
	{"expands an uppercase exponent with plus sign", `1.5E+3`, `1500`},
	{"keeps 0.000001 in plain decimal", `0.000001`, `0.000001`},
	{"writes 1e-6 in plain decimal", `1e-6`, `0.000001`},
	{"writes 0.0000001 in exponent form", `0.0000001`, `1e-7`},
	{"writes 1.5e-7 in exponent form", `0.00000015`, `1.5e-7`},
	{"writes 1.23e-5 in plain decimal", `123e-7`, `0.0000123`},
	{"writes 1e21 with a plus sign", `1e21`, `1e+21`},
	{"writes 1.2345e21 with a plus sign", `1234500000000000000000`, `1.2345e+21`},
	{"writes 1e20 in plain decimal", `1e20`, `100000000000000000000`},
	{"keeps the largest plain decimal below 1e21", `999999999999999900000`, `999999999999999900000`},
	{"rounds integers above 2^53 as javascript does", `12345678901234567890`, `12345678901234567000`},
	{"rounds 2^53+1 to 2^53", `9007199254740993`, `9007199254740992`},
	{"prints 123456789012345680000 unchanged", `123456789012345680000`, `123456789012345680000`},
	{"prints 0.1 as 0.1", `0.1`, `0.1`},
	{"prints 0.1+0.2 digits as written", `0.30000000000000004`, `0.30000000000000004`},
	{"shortens an over-long decimal to the shortest round-trip digits", `0.1000000000000000055511151231257827`, `0.1`},
	{"prints the smallest subnormal", `5e-324`, `5e-324`},
	{"rounds a subnormal to its shortest digits", `4.9406564584124654e-324`, `5e-324`},
	{"underflows a tiny number to zero", `1e-400`, `0`},
	{"underflows a tiny negative number to zero", `-1e-400`, `0`},
	{"prints the largest float64", `1.7976931348623157e308`, `1.7976931348623157e+308`},
	{"keeps negative numbers negative", `[-1.5,-100,-1e-7,-1e21]`, `[-1.5,-100,-1e-7,-1e+21]`},
	{"accepts an exponent with leading zeros", `1e007`, `10000000`},

	// Objects.
	{"reproduces the key-ordering example from the brief", `{"b":1,"2":2,"a":3,"1":4}`, `{"1":4,"2":2,"b":1,"a":3}`},
	{"keeps non-index keys in insertion order", `{"z":1,"a":2,"m":3}`, `{"z":1,"a":2,"m":3}`},
	{"sorts index keys numerically, not as strings", `{"10":1,"9":2,"100":3,"0":4}`, `{"0":4,"9":2,"10":1,"100":3}`},
	{"treats keys with leading zeros as names", `{"01":1,"1":2,"00":3,"0":4}`, `{"0":4,"1":2,"01":1,"00":3}`},
	{"treats negative and fractional numeric keys as names", `{"-1":1,"1.5":2,"1":3}`, `{"1":3,"-1":1,"1.5":2}`},
	{"treats 4294967294 as the largest index", `{"x":0,"4294967295":1,"4294967294":2}`, `{"4294967294":2,"x":0,"4294967295":1}`},
	{"treats keys with spaces or signs as names", `{" 1":1,"+1":2,"1 ":3,"1e0":4}`, `{" 1":1,"+1":2,"1 ":3,"1e0":4}`},
	{"recognizes an escaped index key", `{"a":1,"\u0031":2}`, `{"1":2,"a":1}`},
	{"lets the last duplicate win at the first position", `{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},
	{"lets the last of three duplicates win", `{"a":1,"b":2,"a":3,"c":4,"a":5}`, `{"a":5,"b":2,"c":4}`},
	{"replaces a duplicate object value entirely instead of merging", `{"o":{"x":1},"o":{"y":2}}`, `{"o":{"y":2}}`},
	{"merges duplicate index keys", `{"1":"a","0":"b","1":"c"}`, `{"0":"b","1":"c"}`},
	{"treats differently escaped spellings of a key as duplicates", `{"a":1,"b":2,"\u0061":3}`, `{"a":3,"b":2}`},
	{"treats an escaped and a raw emoji key as duplicates", `{"😀":1,"\ud83d\ude00":2}`, `{"😀":2}`},
	{"keeps __proto__ as an ordinary key", `{"__proto__":{"a":1},"b":2}`, `{"__proto__":{"a":1},"b":2}`},
	{"orders keys in nested objects too", `{"b":{"y":1,"3":2},"1":[{"k":0,"0":1}]}`, `{"1":[{"0":1,"k":0}],"b":{"3":2,"y":1}}`},
	{"canonicalizes escapes inside keys", `{"\u003c\/a\u003e":1,"\u0000":2}`, `{"</a>":1,"\u0000":2}`},
}

var errorCases = []struct {
	name string
	in   string
	want error // sentinel to match with errors.Is; nil means any error
}{
	{"rejects empty input", ``, nil},
	{"rejects whitespace-only input", " \n\t ", nil},
	{"rejects trailing data after the top-level value", `{"a":1} x`, nil},
	{"rejects a second top-level value", `1 2`, nil},
	{"rejects a trailing comma in an array", `[1,2,]`, nil},
	{"rejects a trailing comma in an object", `{"a":1,}`, nil},
	{"rejects an unterminated array", `[1,2`, nil},
	{"rejects an unterminated object", `{"a":1`, nil},
	{"rejects an unterminated string", `"abc`, nil},
	{"rejects a string ending in a backslash", `"abc\`, nil},
	{"rejects an unquoted key", `{a:1}`, nil},
	{"rejects a single-quoted string", `'a'`, nil},
	{"rejects a missing colon", `{"a" 1}`, nil},
	{"rejects a number with a leading zero", `01`, nil},
	{"rejects a number with a leading plus", `+1`, nil},
	{"rejects a number starting with a dot", `.5`, nil},
	{"rejects a number ending with a dot", `1.`, nil},
	{"rejects an exponent without digits", `1e+`, nil},
	{"rejects a bare minus", `-`, nil},
	{"rejects hexadecimal numbers", `0x10`, nil},
	{"rejects NaN", `NaN`, nil},
	{"rejects Infinity", `Infinity`, nil},
	{"rejects a misspelled literal", `nul`, nil},
	{"rejects an uppercase literal", `True`, nil},
	{"rejects a raw newline in a string", "\"a\nb\"", nil},
	{"rejects a raw tab in a string", "\"a\tb\"", nil},
	{"rejects an unknown escape", `"\x41"`, nil},
	{"rejects a short unicode escape", `"\u12"`, nil},
	{"rejects a unicode escape with non-hex digits", `"\u12g4"`, nil},
	{"rejects invalid utf-8 in a string", "\"a\xffb\"", nil},
	{"rejects a truncated utf-8 sequence", "\"\xe2\x82\"", nil},
	{"rejects a utf-8 encoded surrogate", "\"\xed\xa0\x80\"", nil},
	{"rejects an overlong utf-8 encoding", "\"\xc0\xaf\"", nil},
	{"rejects invalid utf-8 in a key", "{\"\xff\":1}", nil},
	{"rejects a byte order mark", "\uFEFF{}", nil},
	{"rejects a comment", `[1 /* c */]`, nil},
	{"rejects a number that overflows float64", `1e400`, errNumberRange},
	{"rejects a negative number that overflows float64", `-1e309`, errNumberRange},
	{"rejects a long integer that overflows float64", "1" + strings.Repeat("0", 309), errNumberRange},
	{"rejects a number just above the largest float64", `1.7976931348623159e308`, errNumberRange},
	{"rejects an overflowing number nested in an object", `{"a":[1,2e999]}`, errNumberRange},
	{"rejects arrays nested deeper than the limit", strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), errTooDeep},
	{"rejects objects nested deeper than the limit", strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1), errTooDeep},
}

func TestCanonical(t *testing.T) {
	for _, tc := range canonicalCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonical([]byte(tc.in))
			if err != nil {
				t.Fatalf("Canonical(%q) error: %v", tc.in, err)
			}
			if string(got) != tc.want {
				t.Errorf("Canonical(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestCanonicalErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonical([]byte(tc.in))
			if err == nil {
				t.Fatalf("Canonical(%.60q) = %s, want an error", tc.in, got)
			}
			if got != nil {
				t.Errorf("Canonical(%.60q) returned output %q along with error", tc.in, got)
			}
			if !strings.HasPrefix(err.Error(), "payload: ") || !strings.Contains(err.Error(), "offset") {
				t.Errorf("error %q should start with \"payload: \" and name an offset", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Canonical(%.60q) error = %v, want errors.Is %v", tc.in, err, tc.want)
			}
		})
	}
}

func TestCanonicalOverflowMessageIsClear(t *testing.T) {
	_, err := Canonical([]byte(`{"n":1e400}`))
	if err == nil || !strings.Contains(err.Error(), "1e400") || !strings.Contains(err.Error(), "Infinity") {
		t.Errorf("error = %v, want it to name the number and explain the Infinity problem", err)
	}
}

func TestCanonicalDepth(t *testing.T) {
	t.Run("accepts arrays nested exactly to the limit", func(t *testing.T) {
		in := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
		got, err := Canonical([]byte(in))
		if err != nil || string(got) != in {
			t.Errorf("Canonical(%d nested arrays) = %.20s..., %v", maxDepth, got, err)
		}
	})
	t.Run("accepts mixed nesting exactly to the limit", func(t *testing.T) {
		in := strings.Repeat(`[{"a":`, maxDepth/2) + "0" + strings.Repeat("}]", maxDepth/2)
		got, err := Canonical([]byte(in))
		if err != nil || string(got) != in {
			t.Errorf("Canonical(%d nested containers) = %.20s..., %v", maxDepth, got, err)
		}
	})
	t.Run("does not count scalars as nesting", func(t *testing.T) {
		in := strings.Repeat("[", maxDepth) + `"s"` + strings.Repeat("]", maxDepth)
		if _, err := Canonical([]byte(in)); err != nil {
			t.Errorf("Canonical: %v", err)
		}
	})
}

func TestCanonicalLargeObjectWithDuplicates(t *testing.T) {
	// Enough members to exercise the map-based duplicate lookup.
	var in, want strings.Builder
	in.WriteString("{")
	for i := range 100 {
		in.WriteString(`"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i) + ",")
	}
	in.WriteString(`"k3":"last","k99":"end","k0":"zero","50":"index"}`)
	want.WriteString(`{"50":"index",`)
	for i := range 100 {
		if i > 0 {
			want.WriteString(",")
		}
		v := strconv.Itoa(i)
		switch i {
		case 0:
			v = `"zero"`
		case 3:
			v = `"last"`
		case 99:
			v = `"end"`
		}
		want.WriteString(`"k` + strconv.Itoa(i) + `":` + v)
	}
	want.WriteString("}")
	got, err := Canonical([]byte(in.String()))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("got  %s\nwant %s", got, want.String())
	}
}

func TestCanonicalIsFixedPoint(t *testing.T) {
	for _, tc := range canonicalCases {
		t.Run(tc.name, func(t *testing.T) {
			once, err := Canonical([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			twice, err := Canonical(once)
			if err != nil {
				t.Fatalf("Canonical(Canonical(%q)) error: %v", tc.in, err)
			}
			if !bytes.Equal(once, twice) {
				t.Errorf("not a fixed point:\n once %s\ntwice %s", once, twice)
			}
		})
	}
}

func TestCanonicalDiffersFromEncodingJSON(t *testing.T) {
	// Guards the reason this package exists: encoding/json output would not
	// survive a JavaScript round trip.
	in := "\"<&>\u2028\""
	got, err := Canonical([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != in {
		t.Errorf("Canonical(%q) = %q, want it unchanged", in, got)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode("<&>\u2028"); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(buf.String()) == in {
		t.Skip("encoding/json no longer escapes U+2028; this package may be simplified")
	}
}

func TestObject(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := []struct {
		name   string
		fields []Field
		want   string
	}{
		{"builds an empty object from no fields", nil, `{}`},
		{"keeps fields in the given order", []Field{{"type", raw(`"ping"`)}, {"id", raw(`7`)}, {"at", raw(`"now"`)}}, `{"type":"ping","id":7,"at":"now"}`},
		{"canonicalizes each value", []Field{{"data", raw(` { "b" : 1.50 , "1" : "\u003c" } `)}}, `{"data":{"1":"<","b":1.5}}`},
		{"skips fields with a nil value", []Field{{"a", raw(`1`)}, {"b", nil}, {"c", raw(`3`)}}, `{"a":1,"c":3}`},
		{"skips fields with an empty value", []Field{{"a", raw(``)}, {"b", raw(`2`)}}, `{"b":2}`},
		{"keeps a field whose value is null", []Field{{"a", raw(`null`)}}, `{"a":null}`},
		{"moves index keys to the front in numeric order", []Field{{"b", raw(`1`)}, {"2", raw(`2`)}, {"a", raw(`3`)}, {"1", raw(`4`)}}, `{"1":4,"2":2,"b":1,"a":3}`},
		{"lets the last duplicate win at the first position", []Field{{"a", raw(`1`)}, {"b", raw(`2`)}, {"a", raw(`3`)}}, `{"a":3,"b":2}`},
		{"does not let a skipped duplicate remove or override a field", []Field{{"a", raw(`1`)}, {"a", nil}}, `{"a":1}`},
		{"does not let a skipped field reserve a position", []Field{{"a", nil}, {"b", raw(`2`)}, {"a", raw(`1`)}}, `{"b":2,"a":1}`},
		{"escapes keys as JSON.stringify does", []Field{{"q\"\\\n\x01<\u2028", raw(`0`)}}, "{\"q\\\"\\\\\\n\\u0001<\u2028\":0}"},
		{"takes keys literally rather than as JSON text", []Field{{`\u0061`, raw(`1`)}, {"a", raw(`2`)}}, `{"\\u0061":1,"a":2}`},
		{"accepts an empty key", []Field{{"", raw(`1`)}}, `{"":1}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Object(tc.fields...)
			if err != nil {
				t.Fatalf("Object error: %v", err)
			}
			if string(got) != tc.want {
				t.Errorf("Object\n got %s\nwant %s", got, tc.want)
			}
			again, err := Canonical(got)
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("Object output is not a fixed point of Canonical: %s, %v", again, err)
			}
		})
	}
}

func TestObjectErrors(t *testing.T) {
	cases := []struct {
		name   string
		fields []Field
		want   error
	}{
		{"rejects a value that is not JSON", []Field{{"a", json.RawMessage(`{`)}}, nil},
		{"rejects a value with trailing data", []Field{{"a", json.RawMessage(`1 2`)}}, nil},
		{"rejects a whitespace-only value", []Field{{"a", json.RawMessage(` `)}}, nil},
		{"rejects a key that is not valid utf-8", []Field{{"\xff", json.RawMessage(`1`)}}, nil},
		{"rejects a value that overflows float64", []Field{{"n", json.RawMessage(`1e999`)}}, errNumberRange},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Object(tc.fields...)
			if err == nil {
				t.Fatalf("Object = %s, want an error", got)
			}
			if !strings.HasPrefix(err.Error(), "payload: ") {
				t.Errorf("error %q should start with \"payload: \"", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want errors.Is %v", err, tc.want)
			}
		})
	}
}

// nodeScript prints, for each input string in the JSON array file named by
// its argument, JSON.stringify(JSON.parse(s)) or null when JSON.parse throws.
const nodeScript = `
const fs = require("fs");
const inputs = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const out = inputs.map((s) => {
  try { return JSON.stringify(JSON.parse(s)); } catch (e) { return null; }
});
process.stdout.write(JSON.stringify(out));
`

// runNode returns JavaScript's JSON.stringify(JSON.parse(s)) for each input,
// nil where JSON.parse throws.
func runNode(t *testing.T, inputs []string) []*string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found on PATH; skipping differential test against JavaScript")
	}
	file := filepath.Join(t.TempDir(), "inputs.json")
	data, err := json.Marshal(inputs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "-e", nodeScript, file)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running node: %v", err)
	}
	var results []*string
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("decoding node output: %v", err)
	}
	if len(results) != len(inputs) {
		t.Fatalf("node returned %d results for %d inputs", len(results), len(inputs))
	}
	return results
}

// differentialInputs are tricky inputs compared against the real engine.
var differentialInputs = []string{
	`5e-324`, `-5e-324`, `2.2250738585072014e-308`, `2.225073858507201e-308`,
	`1.7976931348623157e308`, `-1.7976931348623157e308`,
	`0.1`, `0.2`, `0.3`, `0.30000000000000004`, `1.1`, `100`, `1e2`, `1.50`, `0.0`, `-0.0`, `-0`,
	`123456789012345680000`, `12345678901234567890`, `9007199254740993`, `9007199254740992`,
	`1e21`, `999999999999999999999`, `1e20`, `1.2345e21`, `-1e21`,
	`1e-6`, `1e-7`, `1.5e-7`, `0.000001`, `0.0000001`, `0.00000123`, `123e-20`, `1e-400`,
	`4.35`, `0.000001234567890123`, `1234567.890123456789`, `2e-7`, `9.999999999999999e-7`,
	`[1,-2.5,3e3,4E-4,5e+5]`,
	`"plain ascii"`, `"<p>a & b</p>"`, `"\u003c\u003e\u0026"`, "\"\u2028\u2029\"", `"\u2028\u2029"`,
	`"\u0000\u0001\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u001b\u001f\u0020\u007f"`,
	`"\b\f\n\r\t\"\\\/"`, `"\ud800"`, `"\udfff"`, `"\ud83d\ude00"`, `"\ud800\ud800\udc00"`, `"\ude00\ud83d"`,
	`"😀👍🏽🇩🇪"`, `"héllo wörld 中文 العربية"`, "\"\uFFFD\uFEFF\"", `"\u00e9\u00E9"`,
	`{"b":1,"2":2,"a":3,"1":4}`, `{"10":1,"9":2,"01":3,"-1":4,"4294967294":5,"4294967295":6,"x":7}`,
	`{"a":1,"b":2,"a":3}`, `{"1":"a","0":"b","1":"c"}`, `{"a":1,"\u0061":2}`, `{"__proto__":{"x":1},"y":2}`,
	`{"outer":{"3":[{"z":1,"0":{"2":2,"1":1}}],"k":"\u2028"},"0":null}`,
	`{"":0,"\u0000":1," ":2}`,
	` [ true , false , null , { } , [ ] ] `,
	// Inputs JSON.parse rejects; Canonical must reject them too.
	`[1,]`, `01`, `.5`, `1.`, `+1`, `NaN`, `{"a":1} x`, "\"a\nb\"", `"\x"`, `"\u12"`, ``, "\uFEFF1",
}

func TestCanonicalMatchesNode(t *testing.T) {
	inputs := append([]string(nil), differentialInputs...)
	for _, tc := range canonicalCases {
		inputs = append(inputs, tc.in)
	}
	inputs = append(inputs, randomInputs(rand.New(rand.NewPCG(1, 2)), 2000)...)
	// Overflowing numbers: JavaScript prints null, Canonical refuses.
	overflow := []string{`1e400`, `-1e400`, `[1e309]`}
	results := runNode(t, append(inputs, overflow...))

	for i, in := range inputs {
		js := results[i]
		got, err := Canonical([]byte(in))
		switch {
		case js == nil && err == nil:
			t.Errorf("Canonical(%q) = %s, but JSON.parse throws", in, got)
		case js != nil && err != nil:
			t.Errorf("Canonical(%q) error %v, but JavaScript gives %s", in, err, *js)
		case js != nil && string(got) != *js:
			t.Errorf("Canonical(%q)\n   got %s\nnode   %s", in, got, *js)
		}
	}
	for i, in := range overflow {
		js := results[len(inputs)+i]
		if js == nil || !strings.Contains(*js, "null") {
			t.Errorf("node unexpectedly printed %v for %s", js, in)
		}
		if _, err := Canonical([]byte(in)); !errors.Is(err, errNumberRange) {
			t.Errorf("Canonical(%s) error = %v, want errNumberRange", in, err)
		}
	}
}

// randomInputs generates numbers, strings and objects that stress number
// formatting, surrogate handling and key ordering.
func randomInputs(r *rand.Rand, n int) []string {
	var out []string
	for len(out) < n {
		switch r.IntN(5) {
		case 0: // a random finite float64, written in several ways
			f := math.Float64frombits(r.Uint64())
			if math.IsInf(f, 0) || math.IsNaN(f) {
				continue
			}
			out = append(out, strconv.FormatFloat(f, 'g', -1, 64), strconv.FormatFloat(f, 'e', 20, 64))
		case 1: // a short random decimal near the format thresholds
			mant := strconv.FormatUint(r.Uint64N(1_000_000_000_000), 10)
			exp := r.IntN(60) - 30
			plusExp := "E+" + strconv.Itoa(exp+10)
			if exp+10 < 0 {
				plusExp = "E" + strconv.Itoa(exp+10)
			}
			out = append(out, mant+"e"+strconv.Itoa(exp), "-0."+mant+plusExp)
		case 2: // an integer around 2^53 .. 2^70
			out = append(out, strconv.FormatUint(r.Uint64()>>r.IntN(12), 10)+strings.Repeat("0", r.IntN(6)))
		case 3: // a string of random pieces, including lone surrogates
			pieces := []string{"a", "<", "&", "\u2028", "\u2029", "é", "😀", `\"`, `\\`, `\/`, `\n`, `\u0000`, `\u001F`, `\uD83D`, `\uDE00`, `\ud800`, `\u00e9`, `\u2028`, "\x7f", " "}
			var b strings.Builder
			b.WriteByte('"')
			for range r.IntN(8) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			b.WriteByte('"')
			out = append(out, b.String())
		case 4: // an object with index-like keys and duplicates
			keys := []string{"0", "1", "2", "10", "01", "-1", "1.0", "4294967294", "4294967295", "a", "b", "__proto__", `\u0031`, `\u0061`, ""}
			var b strings.Builder
			b.WriteByte('{')
			for i := range r.IntN(8) {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`"` + keys[r.IntN(len(keys))] + `":` + strconv.Itoa(i))
			}
			b.WriteByte('}')
			out = append(out, b.String())
		}
	}
	return out
}

func FuzzCanonical(f *testing.F) {
	for _, tc := range canonicalCases {
		f.Add([]byte(tc.in))
	}
	for _, tc := range errorCases {
		if len(tc.in) < 200 {
			f.Add([]byte(tc.in))
		}
	}
	for _, in := range differentialInputs {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Canonical(in)
		if err != nil {
			// Only deliberate restrictions may reject valid JSON.
			if json.Valid(in) && utf8.Valid(in) && !errors.Is(err, errTooDeep) && !errors.Is(err, errNumberRange) {
				t.Fatalf("Canonical(%q) rejected valid JSON: %v", in, err)
			}
			return
		}
		if !json.Valid(in) {
			t.Fatalf("Canonical(%q) accepted invalid JSON, gave %q", in, out)
		}
		if !utf8.Valid(out) {
			t.Fatalf("Canonical(%q) produced invalid UTF-8 %q", in, out)
		}
		again, err := Canonical(out)
		if err != nil {
			t.Fatalf("Canonical(%q) = %q, which it then rejects: %v", in, out, err)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not a fixed point for %q:\n once %q\ntwice %q", in, out, again)
		}
		// The output means the same as the input.
		var a, b any
		if err := json.Unmarshal(in, &a); err != nil {
			t.Fatalf("encoding/json rejects input %q: %v", in, err)
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("encoding/json rejects output %q: %v", out, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("output %q does not decode to the same value as input %q", out, in)
		}
	})
}
