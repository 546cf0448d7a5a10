package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestMasksEmailLocalParts(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("mail for jane.doe@northwind.example sent", "to", "Dana <dana.whitfield@fabrikam.example>",
		"err", errors.New("550 unknown user bob@x.example"))
	out := buf.String()
	for _, leak := range []string{"jane.doe", "dana.whitfield", "bob@"} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q: %s", leak, out)
		}
	}
	for _, keep := range []string{"j***@northwind.example", "d***@fabrikam.example", "b***@x.example"} {
		if !strings.Contains(out, keep) {
			t.Errorf("log lacks %q: %s", keep, out)
		}
	}
	if _, err := New(&buf, "xml", slog.LevelInfo); err == nil {
		t.Error("xml format accepted")
	}
}

func TestOurMessageIDsAreNotMasked(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "text", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{
		"<9f86d081884c7d659a2feaa0.confirmation@acctflow.example>",
		"<REQ-1001.0a1b2c3d4e5f.confirmation@acctflow.example>",
		"<REQ..1.0A1B2C3D4E5F.clarification.3f2a@acctflow.example>",
	}
	for _, id := range ids {
		log.Info("email sent", "message_id", id, "to", "dana.whitfield@fabrikam.example",
			"err", errors.New("sending mail "+id+" to jane.doe@northwind.example: 451"))
	}
	out := buf.String()
	for _, id := range ids {
		if strings.Count(out, id) != 2 {
			t.Errorf("Message-ID %s masked or missing:\n%s", id, out)
		}
	}
	for _, leak := range []string{"dana.whitfield", "jane.doe"} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q", leak)
		}
	}
	// A Message-ID without a MAC (tickets, alerts) is logged whole as a
	// Verbatim value.
	buf.Reset()
	log.Info("email sent", "message_id", Verbatim("<CHG-1.ticket@acctflow.example>"), "to", Verbatim("x").String()+"@y.example")
	if !strings.Contains(buf.String(), "<CHG-1.ticket@acctflow.example>") || strings.Contains(buf.String(), "x@y.example") {
		t.Errorf("Verbatim masked, or a plain string not masked: %s", buf.String())
	}
	// Our reply address ends with the MAC: it is an address, and masked.
	if got := Mask("acct-replies+REQ-1001.0a1b2c3d4e5f@acctflow.example"); got != "a***@acctflow.example" {
		t.Errorf("reply address masked as %q", got)
	}
}
