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
// URL, an address, an ARN) stays whole on a line of its own.
func wrapText(s string, width int) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, wrapLine(l, width)...)
	}
	return strings.Join(out, "\n")
}

func wrapLine(l string, width int) []string {
	if utf8.RuneCountInString(l) <= width {
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
	cur, n := prefix, utf8.RuneCountInString(prefix)
	empty := true // cur holds no word yet
	for _, w := range words {
		wn := utf8.RuneCountInString(w)
		if !empty && n+1+wn > width {
			out = append(out, cur)
			cur, n, empty = hang, len(hang), true
		}
		if !empty {
			cur += " "
			n++
		}
		cur += w
		n += wn
		empty = false
	}
	return append(out, cur)
}
