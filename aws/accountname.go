package aws

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

const (
	maxAccountName = 50 // AWS: 1–50 characters of [\u0020-\u007E]
	// maxNicknameIn bounds the work done on a hostile nickname: nothing past
	// it could survive the cut to 50 characters anyway, bar a run of marks.
	maxNicknameIn = 4096
)

// AccountName derives an AWS account name from a reseller's nickname:
// accents stripped ("Café Étoile" → "Cafe Etoile"), common letters and
// punctuation spelled in ASCII, white space and control characters collapsed
// to single spaces, everything else (emoji, CJK) dropped, cut to 50. It
// returns "" when nothing usable is left.
func AccountName(nickname string) string {
	if len(nickname) > maxNicknameIn {
		nickname = nickname[:maxNicknameIn]
	}
	var b strings.Builder
	space := false // a separator is pending; written only before the next kept character
	for _, r := range norm.NFKD.String(nickname) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// combining accent left by the decomposition
		case unicode.IsSpace(r): // tabs and line breaks too; other controls are dropped below
			space = b.Len() > 0
		case r > 0x20 && r < 0x7f:
			writeKept(&b, &space, string(r))
		default:
			if s, ok := asciiFold(r); ok {
				writeKept(&b, &space, s)
			}
		}
		if b.Len() >= maxAccountName {
			break
		}
	}
	out := b.String()
	if len(out) > maxAccountName {
		out = out[:maxAccountName]
	}
	return strings.TrimRight(out, " ")
}

func writeKept(b *strings.Builder, space *bool, s string) {
	if *space {
		b.WriteByte(' ')
		*space = false
	}
	b.WriteString(s)
}

// asciiFold spells letters and punctuation that have no decomposition.
func asciiFold(r rune) (string, bool) {
	switch r {
	case 'ß':
		return "ss", true
	case 'ẞ':
		return "SS", true
	case 'Æ':
		return "AE", true
	case 'æ':
		return "ae", true
	case 'Œ':
		return "OE", true
	case 'œ':
		return "oe", true
	case 'Ø':
		return "O", true
	case 'ø':
		return "o", true
	case 'Ł':
		return "L", true
	case 'ł':
		return "l", true
	case 'Đ', 'Ð':
		return "D", true
	case 'đ', 'ð':
		return "d", true
	case 'Þ':
		return "Th", true
	case 'þ':
		return "th", true
	case 'Ħ':
		return "H", true
	case 'ħ':
		return "h", true
	case 'ı':
		return "i", true
	case 'ĸ':
		return "k", true
	case 'Ŋ':
		return "N", true
	case 'ŋ':
		return "n", true
	case '‘', '’', '‚', '‛', '′', '´':
		return "'", true
	case '“', '”', '„', '‟', '″', '«', '»':
		return `"`, true
	case '‐', '‑', '‒', '–', '—', '―', '−':
		return "-", true
	case '×':
		return "x", true
	case '÷':
		return "/", true
	case '€':
		return "EUR", true
	case '£':
		return "GBP", true
	case '©':
		return "(c)", true
	case '®':
		return "(R)", true
	}
	return "", false
}
