package reply

import "strings"

const maxParagraph = 8 << 10

// scanProse reads the sender's remaining sentences: "use x@y as the root
// email, call it Z, Developer support", and the French equivalents.
func scanProse(ls []line, consumed []bool, c *candidates) {
	var par []string
	size := 0
	flush := func() {
		if len(par) > 0 {
			proseParagraph(strings.Join(par, " "), c)
			par, size = par[:0], 0
		}
	}
	for i, l := range ls {
		if l.depth > 0 || l.text == "" || consumed[i] || size > maxParagraph {
			flush()
			if l.depth > 0 || l.text == "" || consumed[i] {
				continue
			}
		}
		t := strings.TrimSpace(l.text)
		par = append(par, t)
		size += len(t)
	}
	flush()
}

// proseParagraph splits a paragraph into sentences and reads each one.
func proseParagraph(p string, c *candidates) {
	start := 0
	for k := 0; k < len(p); k++ {
		if (p[k] == '.' || p[k] == '!' || p[k] == '?') && (k+1 == len(p) || p[k+1] == ' ') {
			proseSentence(p[start:k+1], c)
			start = k + 1
		}
	}
	if start < len(p) {
		proseSentence(p[start:], c)
	}
}

func proseSentence(s string, c *candidates) {
	if strings.TrimSpace(s) == "" {
		return
	}
	rest := s
	if nick, from, to, ok := proseNickname(s); ok {
		c.addNick(nick)
		rest = s[:from] + " " + s[to:] // a nickname like "Business Apps" says nothing about support
	}
	f := fold(rest)
	if hasWord(f, "root") || hasWord(f, "racine") {
		found := false
		for _, t := range scanAddresses(rest) {
			if t.valid {
				c.roots = appendUnique(c.roots, strings.ToLower(t.addr))
				found = true
			} else {
				c.rootInvalid = true
			}
		}
		if !found && spelledOut(f) {
			c.rootInvalid = true
		}
	}
	for _, t := range proseSupport(words(f)) {
		c.supports = appendUnique(c.supports, t)
	}
}

// nickTriggers introduce a nickname in a sentence (lower-case ASCII).
var nickTriggers = []string{
	"call it ", "name it ", "nickname it ", "call the account ", "name the account ",
	"nickname should be ", "nickname will be ", "nickname would be ", "nickname is ", "nickname to be ",
	"account name should be ", "account name will be ", "account name is ", "account named ",
	"account called ", "appelez-le ", "appelez le compte ", "nommez-le ", "nommez le compte ",
	"surnom est ", "surnom sera ", "surnom du compte est ", "surnom du compte sera ", "surnom du compte : ",
}

// nickStops end an unquoted nickname in a sentence.
var nickStops = []string{
	",", ";", ":", "(", ". ", "! ", "? ", " and ", " with ", " for ", " please", " thanks", " as ",
	" using ", " - ", " et ", " avec ", " s'il", " merci", " pour ",
}

// proseNickname finds "call it Z" and returns Z and the span it covers.
func proseNickname(s string) (string, int, int, bool) {
	low := lowerASCII(s)
	at, trig := -1, ""
	for _, t := range nickTriggers {
		if i := strings.Index(low, t); i >= 0 && (at < 0 || i < at) && isWordBoundary(low, i-1) {
			at, trig = i, t
		}
	}
	if at < 0 {
		return "", 0, 0, false
	}
	from := at + len(trig)
	for from < len(s) && s[from] == ' ' {
		from++
	}
	if from >= len(s) {
		return "", 0, 0, false
	}
	to := len(s)
	if q := s[from]; q == '"' || q == '\'' {
		if j := strings.IndexByte(s[from+1:], q); j >= 0 && j <= 80 {
			return strings.TrimSpace(s[from+1 : from+1+j]), from, from + j + 2, true
		}
	}
	lowRest := low[from:]
	for _, stop := range nickStops {
		if j := strings.Index(lowRest, stop); j >= 0 && from+j < to {
			to = from + j
		}
	}
	v := strings.TrimRight(strings.TrimSpace(s[from:to]), ".!?")
	if v == "" || len(v) > 80 {
		return "", 0, 0, false
	}
	return v, from, to, true
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

var (
	supportNouns = map[string]bool{"support": true, "soutien": true, "plan": true, "tier": true}
	proseGlue    = map[string]bool{
		"plan": true, "type": true, "level": true, "tier": true, "is": true, "should": true, "will": true,
		"would": true, "be": true, "the": true, "please": true, "go": true, "with": true, "de": true,
		"est": true, "sera": true, "niveau": true, "of": true, "we": true, "d": true, "like": true,
		"want": true, "need": true, "choose": true, "select": true, "take": true, "let": true, "s": true,
		"use": true, "it": true, "i": true, "to": true, "a": true, "an": true, "le": true, "la": true,
		"du": true, "prefer": true, "pick": true, "ll": true, "as": true, "support": true, "soutien": true,
		"aws": true, "for": true, "our": true, "their": true, "they": true, "client": true, "customer": true,
	}
	negators = map[string]bool{"not": true, "don": true, "dont": true, "doesn": true, "t": true, "no": true,
		"without": true, "never": true, "pas": true, "ne": true, "sans": true, "instead": true, "than": true}
)

// proseSupport finds support types mentioned as such: "Developer support",
// "business plan", "support: dev", "soutien de base", "no support"; a type
// word on its own ("our business") is not a support type, and a negated one
// ("we don't need Enterprise support") is skipped.
func proseSupport(ws []string) []string {
	var out []string
	for i, w := range ws {
		prev := ""
		if i > 0 {
			prev = ws[i-1]
		}
		t := wordType(w, prev, len(w) >= 7)
		if t == "" {
			continue
		}
		if supportNouns[w] { // "no support", "aucun soutien"
			out = appendUnique(out, t)
			continue
		}
		negated := false
		for k := max(0, i-3); k < i; k++ {
			if negators[ws[k]] {
				negated = true
			}
		}
		if negated {
			continue
		}
		near := i+1 < len(ws) && supportNouns[ws[i+1]]
		for k := i - 1; !near && k >= 0 && k >= i-5; k-- {
			if ws[k] == "support" || ws[k] == "soutien" {
				near = true
				break
			}
			if !proseGlue[ws[k]] && !(t == Basic && ws[k] == "de") {
				break
			}
		}
		if near {
			out = appendUnique(out, t)
		}
	}
	return out
}
