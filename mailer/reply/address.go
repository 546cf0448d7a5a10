package reply

import "strings"

// addrToken is something shaped like an address found in free text.
type addrToken struct {
	addr  string // as written, trailing sentence punctuation removed
	valid bool   // acceptable as an AWS root email (see validRootEmail)
}

const (
	maxLocalScan  = 128
	maxDomainScan = 256
)

func isLocalByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80 ||
		strings.IndexByte("!#$%'*+/=?^_`{|}~.-", c) >= 0
}

func isDomainByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c >= 0x80
}

// scanAddresses finds every "local@domain" in s. Each '@' is expanded a
// bounded distance either way, so the scan is linear in len(s).
func scanAddresses(s string) []addrToken {
	var out []addrToken
	for i := 0; i < len(s); i++ {
		if s[i] != '@' {
			continue
		}
		l := i
		for l > 0 && i-l < maxLocalScan && isLocalByte(s[l-1]) {
			l--
		}
		r := i + 1
		for r < len(s) && r-i < maxDomainScan && isDomainByte(s[r]) {
			r++
		}
		local := strings.TrimLeft(s[l:i], ".'`")
		domain := strings.TrimRight(s[i+1:r], ".-")
		// Text glued to the address by a client ("mailto:x" is cut at ':'),
		// or a UTF-8 punctuation rune like "…" swallowed by the >=0x80 rule.
		local = trimNonASCIIEdge(local, true)
		domain = trimNonASCIIEdge(domain, false)
		if local == "" || domain == "" {
			continue
		}
		a := local + "@" + domain
		out = append(out, addrToken{addr: a, valid: validRootEmail(a)})
		i = r - 1
	}
	return out
}

// trimNonASCIIEdge drops non-ASCII bytes at the outer edge of a scanned part:
// quotes and dashes typed around an address are not part of it.
func trimNonASCIIEdge(s string, left bool) string {
	if left {
		for len(s) > 0 && s[0] >= 0x80 {
			s = s[1:]
		}
		return s
	}
	for len(s) > 0 && s[len(s)-1] >= 0x80 {
		s = s[:len(s)-1]
	}
	return s
}

// validRootEmail applies the rules AWS Organizations states for a new
// account's email (6–64 7-bit characters, one '@', no specials in the local
// part, a dotted domain of letters, digits and hyphens) and requires a
// top-level domain of letters, so "x@fabrikam" is refused.
func validRootEmail(a string) bool {
	if len(a) < 6 || len(a) > 64 || strings.Count(a, "@") != 1 {
		return false
	}
	at := strings.IndexByte(a, '@')
	local, domain := a[:at], a[at+1:]
	if local == "" || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c >= 0x80 || c <= ' ' || strings.IndexByte("\"'()<>[]:;,\\|%&", c) >= 0 {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	tld := strings.ToLower(labels[len(labels)-1])
	if strings.HasPrefix(tld, "xn--") {
		return len(tld) > 4
	}
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return false
		}
	}
	return true
}

// atWords and dotWords are how people spell an address out to dodge
// harvesters: "jane at example dot com", "jane [at] example.com", "jane arobase …".
var (
	atWords  = map[string]bool{"at": true, "arobase": true, "arrobe": true}
	dotWords = map[string]bool{"dot": true, "point": true}
)

// spelledOut reports whether folded text contains an address spelled out
// with words instead of '@'. It is only asked about text given as a root
// email, so "we meet at noon" needs no special care.
func spelledOut(folded string) bool {
	if !strings.Contains(folded, "at") && !strings.Contains(folded, "arobase") && !strings.Contains(folded, "arrobe") {
		return false
	}
	r := strings.NewReplacer("(", " ", ")", " ", "[", " ", "]", " ", "{", " ", "}", " ", "<", " ", ">", " ")
	f := strings.Fields(r.Replace(truncate(folded, 4096)))
	for i := 1; i+1 < len(f); i++ {
		if !atWords[f[i]] || !addrish(f[i-1]) || !addrish(f[i+1]) {
			continue
		}
		next := f[i+1]
		if dot := strings.LastIndexByte(next, '.'); dot >= 0 && hasLetter(next[dot+1:]) {
			return true
		}
		if i+3 < len(f) && dotWords[f[i+2]] && addrish(f[i+3]) && hasLetter(f[i+3]) {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			return true
		}
	}
	return false
}

func addrish(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '+') {
			return false
		}
	}
	return true
}
