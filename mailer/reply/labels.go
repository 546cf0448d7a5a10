package reply

import "strings"

// field names one of the three details asked for.
type field int

const (
	fNone field = iota
	fRoot
	fNick
	fSupport
)

// labeled is one "label: value" found on a line.
type labeled struct {
	field field
	value string // trimmed; "" when the value is on the next line
}

const maxKeyLen = 60

// fillerWords carry no meaning in a label: "The new AWS root email address
// for the account", "Surnom du compte".
var fillerWords = map[string]bool{
	"the": true, "a": true, "an": true, "aws": true, "amazon": true, "new": true, "your": true,
	"our": true, "my": true, "desired": true, "requested": true, "preferred": true, "proposed": true,
	"please": true, "for": true, "of": true, "to": true, "be": true, "used": true, "de": true,
	"du": true, "des": true, "la": true, "le": true, "les": true, "l": true, "d": true, "nouveau": true,
	"nouvelle": true, "votre": true, "notre": true, "web": true, "services": true, "s": true,
	"this": true, "ce": true, "pour": true, "i": true, "ii": true, "iii": true,
}

var (
	rootWords    = map[string]bool{"root": true, "racine": true, "email": true, "address": true, "account": true, "user": true, "courriel": true, "adresse": true, "compte": true, "utilisateur": true, "principal": true}
	nickWords    = map[string]bool{"account": true, "nickname": true, "name": true, "friendly": true, "display": true, "surnom": true, "nom": true, "compte": true, "convivial": true}
	supportWords = map[string]bool{"support": true, "type": true, "plan": true, "level": true, "tier": true, "soutien": true, "niveau": true, "forfait": true, "option": true, "choice": true}
)

// classifyKey says which detail a label names, however it was worded:
// "Root email", "Email for root", "Root account email", "Courriel racine";
// "Account nickname", "Friendly name", "Surnom du compte"; "Support type",
// "Support level", "Type de soutien", "Niveau de soutien".
func classifyKey(key string) field {
	if len(key) > maxKeyLen {
		return fNone
	}
	ws := words(fold(dropAsides(key)))
	kept := ws[:0]
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if w == "e" && i+1 < len(ws) && ws[i+1] == "mail" { // e-mail
			w, i = "email", i+1
		}
		if w == "mail" {
			w = "email"
		}
		if !fillerWords[w] {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 || len(kept) > 6 {
		return fNone
	}
	has := func(set map[string]bool) bool {
		for _, w := range kept {
			if !set[w] {
				return false
			}
		}
		return true
	}
	contains := func(ws ...string) bool {
		for _, k := range kept {
			for _, w := range ws {
				if k == w {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has(rootWords) && contains("root", "racine"):
		return fRoot
	case has(nickWords) && (contains("nickname", "surnom") ||
		contains("name", "nom") && contains("account", "compte", "friendly", "display", "convivial")):
		return fNick
	case has(supportWords) && contains("support", "soutien"):
		return fSupport
	}
	return fNone
}

// dropAsides removes parenthesised asides from a label: "Support type
// (Business/Developer/Basic)" is still the support type label.
func dropAsides(s string) string {
	for {
		i := strings.IndexByte(s, '(')
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			return s[:i]
		}
		s = s[:i] + " " + s[i+j+1:]
	}
}

// isChunkDelim: a label may start a new chunk after these.
func isChunkDelim(c byte) bool { return c == ',' || c == ';' || c == '|' || c == '\t' }

// parseLabels finds the labelled values on one line: "Root email: x",
// "Support level - None", "Account name<TAB>Foo", "Email for root = x",
// several on one line ("Root: x; Nickname: y"), or a label alone whose value
// follows on the next line.
func parseLabels(text string) []labeled {
	s := stripBullet(text)
	if s == "" || len(s) > maxTextBytes {
		return nil
	}
	type hit struct {
		f                   field
		keyStart, valueFrom int
	}
	var hits []hit
	chunk := 0
	for k := 0; k < len(s); k++ {
		c := s[k]
		sepLen := 0
		switch {
		case c == ':' || c == '=' || c == '\t':
			sepLen = 1
		case c == '-' && k > 0 && s[k-1] == ' ' && (k+1 == len(s) || s[k+1] == ' '):
			sepLen = 1
		}
		if sepLen > 0 && k-chunk <= maxKeyLen && k > chunk {
			// Mid-line labels need a real separator; a dash or tab only
			// separates a label that starts the line.
			if chunk == 0 || c == ':' || c == '=' || c == '\t' {
				if f := classifyKey(s[chunk:k]); f != fNone {
					hits = append(hits, hit{f, chunk, k + sepLen})
					chunk = k + sepLen
					continue
				}
			}
		}
		if isChunkDelim(c) {
			chunk = k + 1
			for chunk < len(s) && s[chunk] == ' ' {
				chunk++
			}
		}
	}
	if len(hits) == 0 {
		if f := classifyKey(strings.TrimRight(s, " :-=*")); f != fNone {
			return []labeled{{field: f}}
		}
		return spaceLabel(s)
	}
	out := make([]labeled, 0, len(hits))
	for i, h := range hits {
		end := len(s)
		if i+1 < len(hits) {
			end = hits[i+1].keyStart
		}
		if h.valueFrom > end {
			h.valueFrom = end
		}
		out = append(out, labeled{field: h.f, value: cleanValue(s[h.valueFrom:end])})
	}
	return out
}

// spaceLabel reads a label followed by its value after a plain space, when
// the value is unmistakable: "Root email jane@x.example", "Support type Business".
func spaceLabel(s string) []labeled {
	ws := strings.Fields(s)
	if len(ws) < 2 {
		return nil
	}
	if first := fold(ws[0]); !rootWords[first] && !supportWords[first] {
		return nil // cheap exit for the common line that is no label at all
	}
	for n := min(3, len(ws)-1); n >= 1; n-- {
		f := classifyKey(strings.Join(ws[:n], " "))
		rest := strings.Join(ws[n:], " ")
		switch {
		case f == fRoot && len(ws)-n == 1 && strings.Contains(rest, "@"):
			return []labeled{{field: f, value: cleanValue(rest)}}
		case f == fSupport && len(ws)-n <= 2:
			if types, other := supportTypes(rest); len(types) == 1 && !other {
				return []labeled{{field: f, value: cleanValue(rest)}}
			}
		}
	}
	return nil
}
