package mailer

import (
	"regexp"
	"testing"
)

var ourMsgID = regexp.MustCompile(`^[A-Za-z0-9=_-]+\.([0-9a-f]{12}\.)?[a-z0-9._-]+@[a-z0-9.-]+$`)

func TestMessageID(t *testing.T) {
	a := MessageID(fixtureKey, "REQ-1001", KindConfirmation, "Mail.Meridian-Distribution.example")
	if a != "REQ-1001.0347d5a24539.confirmation@mail.meridian-distribution.example" {
		t.Errorf("MessageID = %s", a)
	}
	if a != MessageID(fixtureKey, "REQ-1001", KindConfirmation, "mail.meridian-distribution.example") {
		t.Error("not deterministic")
	}
	seen := map[string]bool{}
	for _, id := range []string{"REQ-1001", "REQ-1002", "REQ..1", ".REQ2", "REQ3."} {
		for _, kind := range []string{KindConfirmation, KindClarification, KindClarification + ".r1", KindClarification + ".r2", KindFollowup, "Clarif.R1", "clarif.r1"} {
			for _, key := range [][]byte{fixtureKey, nil} {
				m := MessageID(key, id, kind, "x.example")
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
				tok, k, ok := ThreadToken("<"+m+">", "X.example")
				if key == nil {
					if ok {
						t.Errorf("token read from %s without a key", m)
					}
					continue
				}
				if !ok || tok.RequestID != id || !VerifyToken(key, tok.RequestID, tok.MAC) || k != idSuffix(kind) {
					t.Errorf("ThreadToken(%s) = %+v %q %v", m, tok, k, ok)
				}
			}
		}
	}
	// The readable suffix cannot break the header, whatever kind says.
	if m := MessageID(fixtureKey, "REQ-1", "Clarif\r\n<b>..x@y", "x.example"); !ourMsgID.MatchString(m) {
		t.Errorf("hostile kind gave %q", m)
	}
	if m := MessageID(fixtureKey, "REQ-1", "", "x.example"); !ourMsgID.MatchString(m) {
		t.Errorf("empty kind gave %q", m)
	}
	// Another domain's id is not ours, whatever its shape.
	if _, _, ok := ThreadToken(a, "other.example"); ok {
		t.Error("token read from another domain")
	}
}

// Message-IDs sent before tokens still name their kind, for the subject tag
// to be checked against.
func TestLegacyMessageID(t *testing.T) {
	old := LegacyMessageID("REQ-1001", KindConfirmation, "mail.meridian-distribution.example")
	if old != "9858177c3c621a20f47641e9.confirmation@mail.meridian-distribution.example" {
		t.Errorf("LegacyMessageID = %s", old)
	}
	if k, ok := LegacyKind("<"+old+">", "Mail.Meridian-Distribution.example"); !ok || k != KindConfirmation {
		t.Errorf("LegacyKind = %q, %v", k, ok)
	}
	if _, ok := LegacyKind(MessageID(fixtureKey, "REQ-1001", KindConfirmation, "x.example"), "x.example"); ok {
		t.Error("a tokened id taken for a legacy one")
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
