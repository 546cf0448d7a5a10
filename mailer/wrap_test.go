package mailer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWrapLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"short line", "short line"},
		{"1. " + strings.Repeat("word ", 20), "1. word word word word word word word word word word word word word word word\n   word word word word word"},
		{"   indented " + strings.Repeat("x ", 40), "   indented" + strings.Repeat(" x", 33) + "\n  " + strings.Repeat(" x", 7)},
		{"- " + strings.Repeat("ab ", 30), "- ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab\n  ab ab ab ab ab"},
		// An unbreakable word stays whole.
		{"Go to https://example.com/" + strings.Repeat("p", 80) + " now", "Go to\nhttps://example.com/" + strings.Repeat("p", 80) + "\nnow"},
		// A no-break space holds its words together.
		{strings.Repeat("mot ", 19) + "10\u00a0%", strings.Repeat("mot ", 18) + "mot\n10\u00a0%"},
		// A typed-in value never starts a line as a label with a value.
		{strings.Repeat("a ", 38) + "Bcc: evil@x.example rest", strings.Repeat("a ", 34) + "a\na a a Bcc: evil@x.example rest"},
		// A preformatted line (a command to copy) is kept whole.
		{"    acctflow role submit REQ-1 --role-arn " + strings.Repeat("r", 30) + " " + strings.Repeat("x ", 20), "    acctflow role submit REQ-1 --role-arn " + strings.Repeat("r", 30) + " " + strings.Repeat("x ", 20)},
		// A closing colon is no label: the line is filled.
		{strings.Repeat("a ", 38) + "below:", strings.Repeat("a ", 37) + "a\nbelow:"},
	} {
		if got := wrapText(c.in, textWidth); got != c.want {
			t.Errorf("wrap(%q) =\n%s\nwant\n%s", c.in, got, c.want)
		}
	}
	// Ops mail quotes servers' words whole, colons and all.
	server := "  stage routed; since 5 December 2026 03:00 (5 hours); failed: 550 5.1.1 <dana@fabrikam.example>: Recipient address rejected: User unknown"
	want := "  stage routed; since 5 December 2026 03:00 (5 hours); failed: 550 5.1.1\n  <dana@fabrikam.example>: Recipient address rejected: User unknown"
	if got := wrapOpsText(server, textWidth); got != want {
		t.Errorf("wrapOpsText =\n%s\nwant\n%s", got, want)
	}
}

// TestEveryTextFitsIn78Columns renders every kind in every language with
// long values: no text line is longer than 78 characters unless it is one
// unbreakable word (an address, a URL, an ARN).
func TestEveryTextFitsIn78Columns(t *testing.T) {
	long := "Harborview Dental Group Holdings International Limited Partnership"
	var cases []Data
	for _, lang := range Langs() {
		cases = append(cases, allKindsIn(lang, long, Signature{Company: "Meridian Cloud Distribution"})...)
		for _, d := range goldenCases(lang) {
			cases = append(cases, d)
		}
	}
	for _, d := range cases {
		_, text, _ := renderOK(t, d)
		for _, l := range textLines(text) {
			if utf8.RuneCountInString(l) <= 78 { // RFC 5322 2.1.1, whatever textWidth says
				continue
			}
			if _, customer := d.(localized); !customer && strings.HasPrefix(l, preformatted) {
				continue // a command in ops mail, kept whole to be copied
			}
			if rest := strings.TrimPrefix(strings.TrimSpace(listMarker.ReplaceAllString(l, "")), "- "); strings.Contains(rest, " ") {
				t.Errorf("%s: line of %d characters: %q", d.Kind(), utf8.RuneCountInString(l), l)
			}
		}
	}
}
