package reply

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// cleanRune maps what mail clients insert invisibly to what the sender meant
// to type; -1 drops the rune. Typographic dashes and quotes are kept: they are
// part of what a reseller typed (a nickname keeps its en dash), and fold maps
// them for matching.
func cleanRune(r rune) rune {
	switch r {
	case '\u00a0', '\u2007', '\u202f', '\u3000', '\u2002', '\u2003', '\u2009', '\u200a':
		return ' '
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\r', '\u200e', '\u200f':
		return -1
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

// typoRune maps typographic quotes and dashes to their ASCII counterparts, so
// that "Nome dell’account", "Support level – None" and «Prod» match like
// their plain-keyboard spellings.
func typoRune(r rune) rune {
	switch r {
	case '\u2018', '\u2019', '\u201b', '\u2032', '\u00b4':
		return '\''
	case '\u201c', '\u201d', '\u201e', '\u201f', '\u00ab', '\u00bb', '\u2033':
		return '"'
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212':
		return '-'
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

// fold lower-cases s, strips diacritics and maps typographic quotes and
// dashes, so that labels, values and quote markers match however they were
// typed: "Développeur", "DEVELOPPEUR", the decomposed form some Apple clients
// send, "Grüße" and "Grüsse".
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return string(foldAppend(make([]byte, 0, len(s)+8), s, nil))
		}
	}
	return strings.ToLower(s)
}

// foldIndexed is fold that also returns, for every byte of the folded text,
// the offset in s of the rune it came from (plus a final entry len(s)), so a
// span found in the folded text can be cut from what the sender typed.
func foldIndexed(s string) (string, []int) {
	idx := make([]int, 0, len(s)+1)
	b := foldAppend(make([]byte, 0, len(s)+8), s, &idx)
	idx = append(idx, len(s))
	return string(b), idx
}

// foldAppend folds s rune by rune into dst; each rune's decomposition is
// independent of its neighbours except for combining marks, which are
// dropped wherever they stand.
func foldAppend(dst []byte, s string, idx *[]int) []byte {
	var one [utf8.UTFMax]byte
	var dec [4 * utf8.UTFMax]byte
	for off, r := range s {
		n0 := len(dst)
		switch {
		case r < 0x80:
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			if c := cleanRune(r); c >= 0 {
				dst = append(dst, byte(c))
			}
		default:
			r = cleanRune(r)
			if r < 0 {
				break
			}
			r = typoRune(r)
			switch r {
			case 'ß', 'ẞ':
				dst = append(dst, "ss"...)
			case 'œ', 'Œ':
				dst = append(dst, "oe"...)
			case 'æ', 'Æ':
				dst = append(dst, "ae"...)
			default:
				if r < 0x80 {
					dst = append(dst, byte(unicode.ToLower(r)))
					break
				}
				n := utf8.EncodeRune(one[:], r)
				d := norm.NFD.Append(dec[:0], one[:n]...)
				for _, m := range string(d) {
					if unicode.Is(unicode.Mn, m) {
						continue
					}
					dst = utf8.AppendRune(dst, unicode.ToLower(m))
				}
			}
		}
		if idx != nil {
			for i := n0; i < len(dst); i++ {
				*idx = append(*idx, off)
			}
		}
	}
	return dst
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
