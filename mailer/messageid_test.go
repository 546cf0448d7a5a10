package mailer

import (
	"regexp"
	"testing"
)

var ourMsgID = regexp.MustCompile(`^[0-9a-f]{24}\.[a-z0-9._-]+@[a-z0-9.-]+$`)

func TestMessageID(t *testing.T) {
	a := MessageID("REQ-1001", KindConfirmation, "Mail.Meridian-Distribution.example")
	if a != "9858177c3c621a20f47641e9.confirmation@mail.meridian-distribution.example" {
		t.Errorf("MessageID = %s", a)
	}
	if a != MessageID("REQ-1001", KindConfirmation, "mail.meridian-distribution.example") {
		t.Error("not deterministic")
	}
	seen := map[string]bool{}
	for _, id := range []string{"REQ-1001", "REQ-1002"} {
		for _, kind := range []string{KindConfirmation, KindClarification, KindClarification + ".r1", KindClarification + ".r2", KindFollowup} {
			m := MessageID(id, kind, "x.example")
			if seen[m] {
				t.Errorf("duplicate %s", m)
			}
			seen[m] = true
			if !ourMsgID.MatchString(m) {
				t.Errorf("malformed %s", m)
			}
			if c, ok := cleanMsgID("<" + m + ">"); !ok || c != m {
				t.Errorf("cleanMsgID(<%s>) = %s, %v", m, c, ok)
			}
		}
	}
	// The readable suffix cannot break the header, whatever kind says.
	if m := MessageID("REQ-1", "Clarif\r\n<b>..x@y", "x.example"); !ourMsgID.MatchString(m) {
		t.Errorf("hostile kind gave %q", m)
	}
	if m := MessageID("REQ-1", "", "x.example"); !ourMsgID.MatchString(m) {
		t.Errorf("empty kind gave %q", m)
	}
}

func TestCleanMsgID(t *testing.T) {
	for in, want := range map[string]string{
		"<a.b@c.d>":                "a.b@c.d",
		" a@b ":                    "a@b",
		"CAH7wQm9+/=@mail.example": "CAH7wQm9+/=@mail.example",
	} {
		if got, ok := cleanMsgID(in); !ok || got != want {
			t.Errorf("cleanMsgID(%q) = %q, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "<>", "a", "a@", "@b", "a b@c", "a@b\r\nBcc: x@y", "<a@b> <c@d>", "a@[1.2.3.4]", "a..b@c"} {
		if got, ok := cleanMsgID(bad); ok {
			t.Errorf("cleanMsgID(%q) accepted as %q", bad, got)
		}
	}
}
