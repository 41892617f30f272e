package herald_test

import (
	"testing"

	"github.com/herald-webhooks/herald"
)

func TestValidIDAcceptsOnlyPrintableASCIIIdsTemporalCanCarry(t *testing.T) {
	for _, id := range []string{"evt_1", "u_ada", "org:acme", "ada@example.com", "a.b-c", "A"} {
		if !herald.ValidID(id) {
			t.Errorf("ValidID(%q) = false, want true", id)
		}
	}
	long := make([]byte, herald.MaxIDLength+1)
	for i := range long {
		long[i] = 'a'
	}
	for _, id := range []string{"", "evt_ü", "evt_😀", "evt\u2028x", "evt\u00a0x", "evt\x01", "evt\x7f", "evt ñ",
		"a/b", "a b", "_lead", "evt\x00", "\xff", string(long)} {
		if herald.ValidID(id) {
			t.Errorf("ValidID(%q) = true, want false", id)
		}
		if err := herald.ValidateID("id", id); herald.ErrorCode(err) != herald.EInvalid {
			t.Errorf("ValidateID(%q) = %v, want a validation error", id, err)
		}
	}
	if herald.ValidID(string(long[:herald.MaxIDLength])) != true {
		t.Error("a 200-character id is refused")
	}
}

func TestTextProblemNamesNULAndInvalidUTF8(t *testing.T) {
	for s, want := range map[string]string{"Ada": "", "é\u2028": "", "a\x00b": "must not contain NUL bytes", "a\xffb": "must be valid UTF-8"} {
		if got := herald.TextProblem(s); got != want {
			t.Errorf("TextProblem(%q) = %q, want %q", s, got, want)
		}
	}
}
