package reply

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// cleanRune maps what mail clients insert invisibly or typographically to
// what the sender meant to type; -1 drops the rune.
func cleanRune(r rune) rune {
	switch r {
	case '\u00a0', '\u2007', '\u202f', '\u3000', '\u2002', '\u2003', '\u2009', '\u200a':
		return ' '
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\r', '\u200e', '\u200f':
		return -1
	case '\u2018', '\u2019', '\u201b', '\u2032':
		return '\''
	case '\u201c', '\u201d', '\u201e', '\u00ab', '\u00bb':
		return '"'
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212':
		return '-'
	case '\uff1a':
		return ':'
	case '\t':
		return '\t'
	}
	if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
		return -1
	}
	return r
}

// cleanLine applies cleanRune to one line of text, allocating only when needed.
func cleanLine(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c < ' ' || c == 0x7f {
			return strings.Map(cleanRune, s)
		}
	}
	return s
}

// fold lower-cases s and strips diacritics so that labels and support types
// match however they were typed: "Développeur", "DEVELOPPEUR", or the
// decomposed form some Apple clients send.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(strings.Map(cleanRune, s)) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		switch r {
		case 'œ', 'Œ':
			b.WriteString("oe")
			continue
		case 'æ', 'Æ':
			b.WriteString("ae")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// words splits folded text into runs of letters and digits.
func words(folded string) []string {
	return strings.FieldsFunc(folded, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// hasWord reports whether w occurs in folded as a whole word.
func hasWord(folded, w string) bool {
	for i := 0; i+len(w) <= len(folded); {
		j := strings.Index(folded[i:], w)
		if j < 0 {
			return false
		}
		j += i
		if isWordBoundary(folded, j-1) && isWordBoundary(folded, j+len(w)) {
			return true
		}
		i = j + 1
	}
	return false
}

// hasPrefixWord reports whether folded starts with w followed by a word boundary.
func hasPrefixWord(folded, w string) bool {
	return strings.HasPrefix(folded, w) && isWordBoundary(folded, len(w))
}

func isWordBoundary(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	c := s[i]
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80)
}

// truncate cuts s to at most n bytes without splitting a rune.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }
