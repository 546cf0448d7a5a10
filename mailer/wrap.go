package mailer

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// textWidth is the longest line of a text part (RFC 5322 recommends 78):
// translations differ in length, so the templates write a paragraph or list
// item per line and wrapText fits it.
const textWidth = 78

// listMarker is what starts a list item: "1. ", "- ", "* ".
var listMarker = regexp.MustCompile(`^ *(?:[0-9]{1,2}\. |[-*] )`)

// wrapText wraps every line longer than width at spaces. Continuation lines
// are indented like the text after the line's indent and list marker, so a
// list item keeps its hanging indent. A word longer than the room left (a
// URL, an address, an ARN) stays whole on a line of its own. A line indented
// by four spaces is preformatted (a command to copy, in ops mail) and kept
// whole.
func wrapText(s string, width int) string { return wrapLines(s, width, true) }

// wrapOpsText is wrapText for ops mail, without keeping colons away from the
// start of a line: ops mail quotes servers' words, colons and all ("550
// 5.1.1 <a@b.example>: Recipient address rejected: …"), which the guard
// would spread one word a line, and no reply parser reads it.
func wrapOpsText(s string, width int) string { return wrapLines(s, width, false) }

func wrapLines(s string, width int, labelGuard bool) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, wrapLine(l, width, labelGuard)...)
	}
	return strings.Join(out, "\n")
}

// preformatted starts a line wrapText keeps whole.
const preformatted = "    "

func wrapLine(l string, width int, labelGuard bool) []string {
	if utf8.RuneCountInString(l) <= width || strings.HasPrefix(l, preformatted) {
		return []string{l}
	}
	prefix := listMarker.FindString(l)
	if prefix == "" {
		prefix = l[:len(l)-len(strings.TrimLeft(l, " "))]
	}
	// Only ASCII spaces break a line: a no-break space (French "10 %",
	// « … ») keeps its words together.
	var words []string
	for _, w := range strings.Split(l[len(prefix):], " ") {
		if w != "" {
			words = append(words, w)
		}
	}
	hang := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	var out []string
	first := 0 // index of the first word of the line being filled
	for first < len(words) {
		lead := prefix
		if len(out) > 0 {
			lead = hang
		}
		n, end := utf8.RuneCountInString(lead), first
		for end < len(words) {
			wn := utf8.RuneCountInString(words[end])
			if end > first && n+1+wn > width {
				break
			}
			if end > first {
				n++
			}
			n += wn
			end++
		}
		// The next line must not read as a label with a value ("Bcc: …",
		// "Root email: …") made of a typed-in value: move words down until
		// no colon ends one of its first three words.
		for labelGuard && end < len(words) && end-first > 1 && labelLike(words[end:]) {
			end--
		}
		out = append(out, lead+strings.Join(words[first:end], " "))
		first = end
	}
	return out
}

// labelLike reports whether a line starting with words would start with a
// label and a value: a colon at the end of one of its first three words,
// with more after it (a paragraph's closing colon introduces what follows).
func labelLike(words []string) bool {
	for i := 0; i < len(words)-1 && i < 3; i++ {
		if strings.HasSuffix(words[i], ":") {
			return true
		}
	}
	return false
}
