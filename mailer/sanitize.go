package mailer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on values typed by a customer, a reseller or ops, so that a hostile
// event cannot produce a huge mail: names and short fields, free-text reasons.
const (
	maxLineRunes   = 200
	maxReasonRunes = 1000
)

// oneLine makes s safe to place in a header or inside a sentence of a
// template: line breaks and other white space (CR, LF, tabs, U+2028/9)
// become single spaces; other control and format characters (escape
// sequences, bidi overrides, zero-width tricks) and invalid UTF-8 are
// dropped; the result is trimmed and bounded.
func oneLine(s string) string { return squash(s, maxLineRunes) }

// squash is oneLine with a caller-chosen bound in runes.
func squash(s string, limit int) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if unsafeRune(r) {
			continue
		}
		if n == limit {
			b.WriteRune('…')
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// multiLine keeps line breaks (ops text, alert bodies) but cleans every line
// like oneLine and bounds the number of lines.
func multiLine(s string, maxLines int) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := make([]string, 0, min(len(lines), maxLines))
	for _, l := range lines {
		if len(out) == maxLines {
			out = append(out, "…")
			break
		}
		out = append(out, oneLine(strings.ReplaceAll(l, "\r", " ")))
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// unsafeRune reports characters that must never reach a header or a rendered
// line: controls (Cc, which includes CR and LF), format characters (Cf) and
// the Unicode line and paragraph separators.
func unsafeRune(r rune) bool {
	return r == utf8.RuneError || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
}

// hasUnsafe reports whether s holds anything oneLine would have removed; used
// where a value must be rejected rather than repaired (addresses, IDs).
func hasUnsafe(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unsafeRune(r) {
			return true
		}
	}
	return false
}

func splitLines(s string) []string { return strings.Split(s, "\n") }
