package mailer

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

const hostileName = "Acme <script>alert(1)</script>\r\nBcc: evil@x.example"

func TestHostileNamesStayOutOfHeadersAndHTML(t *testing.T) {
	ts := startServer(t, serverOpts{})
	d := harborview()
	d.CustomerName = hostileName
	d.ContactName = "Dana\r\nBcc: evil@x.example\u202e"
	m := confirmationMessage(t, d, testInbox)
	m.To.Name = d.ContactName
	p := sendOne(t, ts, m)

	raw := ts.messages()[0]
	if !slices.Equal(raw.To, []string{"dana.whitfield@fabrikam.example"}) {
		t.Errorf("envelope recipients = %v", raw.To)
	}
	if p.Header.Has("Bcc") {
		t.Error("Bcc header injected")
	}
	for _, line := range bytes.Split(raw.Data, []byte("\r\n")) {
		if bytes.HasPrefix(bytes.ToLower(line), []byte("bcc:")) {
			t.Errorf("raw message has a Bcc line: %q", line)
		}
	}
	subject := p.subject(t)
	if strings.ContainsAny(subject, "\r\n") {
		t.Errorf("decoded subject holds a line break: %q", subject)
	}
	if want := "Customer Account Provision Request Received\u2014Amazon Web Services (Acme <script>alert(1)</script> Bcc: evil@x.example) [REQ-1001]"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
	to, err := p.Header.AddressList("To")
	if err != nil || len(to) != 1 || strings.ContainsAny(to[0].Name, "\r\n\u202e") {
		t.Errorf("To = %v, %v", to, err)
	}
	if strings.Contains(p.HTML, "<script>") || !strings.Contains(p.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("customer name not escaped in HTML:\n%s", p.HTML)
	}
	// Text is plain, but a name must not be able to add lines (such as a
	// fake "Root email:" line) to the text either.
	for _, l := range textLines(p.Text) {
		if strings.HasPrefix(l, "Bcc:") {
			t.Errorf("customer name broke a text line: %q", l)
		}
	}
}

func TestHostileSubjectAndNamesInEveryKind(t *testing.T) {
	sig := Signature{Team: "Team\r\nX-Evil: 1", Company: hostileName}
	var every []Data
	for _, lang := range Langs() {
		every = append(every, allKindsIn(lang, hostileName, sig)...)
	}
	for _, d := range every {
		subject, text, html, err := Render(d)
		if err != nil {
			t.Fatalf("%s: %v", d.Kind(), err)
		}
		if !strings.Contains(html, "&lt;script&gt;") {
			t.Errorf("%s HTML does not show the escaped name", d.Kind())
		}
		if strings.ContainsAny(subject, "\r\n") {
			t.Errorf("%s subject has a line break: %q", d.Kind(), subject)
		}
		if strings.Contains(html, "<script>") {
			t.Errorf("%s HTML carries raw markup", d.Kind())
		}
		if _, customer := d.(localized); !customer {
			// Ops mail keeps an alert body's line breaks by design, and is
			// wrapped without the label guard (wrapOpsText): no reply parser
			// reads it.
			continue
		}
		for _, l := range textLines(text) {
			if strings.HasPrefix(l, "Bcc:") || strings.HasPrefix(l, "X-Evil:") {
				t.Errorf("%s text has an injected line %q", d.Kind(), l)
			}
		}
	}
}

func TestOneLine(t *testing.T) {
	cases := map[string]string{
		"  Acme   Corp ":             "Acme Corp",
		"a\r\nb":                     "a b",
		"a\u2028b\u2029c":            "a b c",
		"x\u202ey\u200bz":            "xyz",
		"tab\there":                  "tab here",
		"bad\xffutf8":                "badutf8",
		"Bäckerei Sonnenhof GmbH":    "Bäckerei Sonnenhof GmbH",
		strings.Repeat("é", 300):     strings.Repeat("é", maxLineRunes) + "…",
		"\x00\x01\x1b[31mred\x1b[0m": "[31mred[0m",
	}
	for in, want := range cases {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
