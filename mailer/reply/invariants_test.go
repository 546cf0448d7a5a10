package reply

import (
	"encoding/json"
	"strings"
	"testing"
)

// checkInvariants holds for every Reply, whatever the input.
func checkInvariants(t testing.TB, r Reply) {
	t.Helper()
	complete := r.RootEmail != nil && r.Nickname != nil && r.SupportType != nil
	if r.Complete != complete {
		t.Errorf("complete = %v with fields %v %v %v", r.Complete, r.RootEmail, r.Nickname, r.SupportType)
	}
	if r.SupportType != nil {
		switch *r.SupportType {
		case Business, Developer, Basic, Enterprise:
		default:
			t.Errorf("support_type %q outside the allowed set", *r.SupportType)
		}
	}
	if r.RootEmail != nil && (*r.RootEmail != strings.ToLower(*r.RootEmail) || !validRootEmail(*r.RootEmail)) {
		t.Errorf("root_email %q not a lower-cased valid address", *r.RootEmail)
	}
	if r.Nickname != nil && (!validNickname(*r.Nickname) || !usableNickname(*r.Nickname)) {
		t.Errorf("nickname %q invalid or unusable", *r.Nickname)
	}
	if r.AutoReply && (r.RootEmail != nil || r.Nickname != nil || r.SupportType != nil || r.RequestRef != nil || r.Complete) {
		t.Errorf("auto-reply with fields: %+v", r.Extraction)
	}
	if r.Bounce && !r.AutoReply {
		t.Error("bounce without auto_reply")
	}
	if r.Problems == nil {
		t.Error("problems is nil")
	}
	if len(r.Problems) > 8 {
		t.Errorf("too many problems: %q", r.Problems)
	}
	if !r.AutoReply {
		// Every null field is explained by exactly one problem about it.
		for _, c := range []struct {
			prefix string
			null   bool
		}{{"root_email_", r.RootEmail == nil}, {"nickname_", r.Nickname == nil}, {"support_type_", r.SupportType == nil}} {
			n := 0
			for _, p := range r.Problems {
				if strings.HasPrefix(p, c.prefix) {
					n++
				}
			}
			if c.null && n != 1 || !c.null && n != 0 {
				t.Errorf("%s null=%v but problems %q", c.prefix, c.null, r.Problems)
			}
		}
	}
	if r.RequestRef != nil && !validRequestID(*r.RequestRef) {
		t.Errorf("request_ref %q invalid", *r.RequestRef)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	if len(m) != 7 {
		t.Errorf("JSON has %d keys, want 7: %s", len(m), b)
	}
	h := r.Header
	if len(h.Recipients) > maxListItems || len(h.References) > maxListItems || len(h.InReplyTo) > maxListItems ||
		len(h.Tokens) > maxListItems || len(h.Subject) > maxFieldChars || len(h.FromName) > maxFieldChars {
		t.Errorf("header not bounded: %d recipients, %d refs, subject %d bytes", len(h.Recipients), len(h.References), len(h.Subject))
	}
}
