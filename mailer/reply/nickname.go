package reply

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// usableNickname: something of the nickname survives as an AWS account name
// (printable ASCII, see aws.AccountName), and it is more than punctuation:
// a letter or a digit that transliterates to ASCII. "Érablière – Prod",
// "Müller & Söhne", "東京 Trading" and "Ｓａｌｅｓ" are usable; "🚀🚀", "—",
// "東京商事" and "!!!" are not, and the reseller is asked for another.
func usableNickname(n string) bool {
	var buf [4 * utf8.UTFMax]byte
	var one [utf8.UTFMax]byte
	for _, r := range n {
		if isASCIIAlnum(r) {
			return true
		}
		if r < 0x80 {
			continue
		}
		if spelledLetters[r] {
			return true
		}
		k := utf8.EncodeRune(one[:], r)
		d := norm.NFKD.Append(buf[:0], one[:k]...)
		if len(d) > 0 && d[0] < 0x80 && isASCIIAlnum(rune(d[0])) {
			return true
		}
	}
	return false
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// spelledLetters have no decomposition to ASCII but are spelled in ASCII by
// aws.AccountName (ß → ss, œ → oe, ø → o …).
var spelledLetters = map[rune]bool{
	'ß': true, 'ẞ': true, 'æ': true, 'Æ': true, 'œ': true, 'Œ': true, 'ø': true, 'Ø': true,
	'ł': true, 'Ł': true, 'đ': true, 'Đ': true, 'ð': true, 'Ð': true, 'þ': true, 'Þ': true,
	'ħ': true, 'Ħ': true, 'ı': true, 'ĸ': true, 'ŋ': true, 'Ŋ': true,
}
