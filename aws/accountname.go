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

// AccountName derives the AWS account name (CreateAccount's AccountName:
// 1–50 characters of printable ASCII) from a reseller's nickname, which keeps
// whatever they typed:
//
//   - accents are stripped by Unicode decomposition (golang.org/x/text NFKD):
//     "Érablière Saint-Jérôme" → "Erabliere Saint-Jerome", "São João" →
//     "Sao Joao", "Ａｃｍｅ" → "Acme";
//   - umlauts too: "Müller" → "Muller", "Ä" → "A", not "Ae". The same two
//     dots are a diaeresis in French, Dutch, Spanish and Portuguese
//     ("Noël", "Citroën", "België", "pingüino"), where an added "e" is wrong,
//     and the nickname's language is not known; the reseller sees the name
//     in the follow-up email;
//   - letters without a decomposition are spelled: ß → ss, œ → oe, æ → ae,
//     ø → o, ł → l, þ → th;
//   - en and em dashes and the minus sign become "-", curly single quotes
//     "'", curly double quotes and guillemets '"', € "EUR";
//   - white space and control characters collapse to single spaces;
//     anything else (emoji, CJK, symbols) is dropped; the result is cut to 50.
//
// It returns "" when no ASCII letter or digit is left ("🚀🚀", "東京商事",
// "— ! —"): such a name means nothing in the AWS console, and the caller
// asks for another or falls back to the customer's name.
func AccountName(nickname string) string {
	if len(nickname) > maxNicknameIn {
		nickname = nickname[:maxNicknameIn]
	}
	var b strings.Builder
	space := false // a separator is pending; written only before the next kept character
	var dec [64]byte
	for _, r := range nickname {
		if b.Len() >= maxAccountName {
			break
		}
		if s, ok := asciiFold(r); ok { // before decomposition: NFKD would turn "´" into a space
			writeKept(&b, &space, s)
			continue
		}
		for _, d := range string(norm.NFKD.AppendString(dec[:0], string(r))) {
			switch {
			case unicode.Is(unicode.Mn, d):
				// combining accent left by the decomposition, or typed decomposed
			case unicode.IsSpace(d): // tabs and line breaks too; other controls are dropped below
				space = b.Len() > 0
			case d > 0x20 && d < 0x7f:
				writeKept(&b, &space, string(d))
			default:
				if s, ok := asciiFold(d); ok {
					writeKept(&b, &space, s)
				}
			}
		}
	}
	out := b.String()
	if len(out) > maxAccountName {
		out = out[:maxAccountName]
	}
	out = strings.TrimRight(out, " ")
	if !strings.ContainsFunc(out, isASCIIAlnum) {
		return ""
	}
	return out
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
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
