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

// classifyKey says which detail a label names, in any language of lang/ and
// however it was worded: "Root email", "Email for root", "Courriel racine",
// "Root-E-Mail-Adresse", "Correo raíz"; "Account nickname", "Kontoname",
// "Nome dell'account", "Apelido da conta"; "Support type", "Supportart",
// "Tipo de soporte", "Type ondersteuning". Every word must belong to the
// field's vocabulary (or be filler), and a word that names the field must be
// among them.
func classifyKey(key string) field {
	if len(key) > maxKeyLen {
		return fNone
	}
	ws := joinEmail(words(fold(dropAsides(key))))
	kept := ws[:0]
	for _, w := range ws {
		if !lex.filler[w] {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 || len(kept) > 6 {
		return fNone
	}
	for _, f := range []field{fRoot, fNick, fSupport} {
		if lex.fields[f].matches(kept) {
			return f
		}
	}
	return fNone
}

// matches: every word is the field's, and the field is named.
func (fw *fieldWords) matches(ws []string) bool {
	core, name, account := false, false, false
	for _, w := range ws {
		if !fw.all[w] {
			return false
		}
		core = core || fw.core[w]
		name = name || fw.name[w]
		account = account || fw.account[w]
	}
	return core || name && account
}

// mentions: the text names the field somewhere ("1. A new root email
// address…", "2. Der Kontoname…"), whatever else it says.
func (fw *fieldWords) mentions(ws []string) bool {
	name, account := false, false
	for _, w := range ws {
		if fw.core[w] {
			return true
		}
		name = name || fw.name[w]
		account = account || fw.account[w]
	}
	return name && account
}

// joinEmail spells "e-mail", "E-Mail-Adresse", "e-mailadres" and a bare
// "mail" as one word, as the tables do.
func joinEmail(ws []string) []string {
	out := ws[:0]
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if w == "e" && i+1 < len(ws) && strings.HasPrefix(ws[i+1], "mail") {
			w, i = "e"+ws[i+1], i+1
		}
		if w == "mail" {
			w = "email"
		}
		out = append(out, w)
	}
	return out
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
		case c == 0xe2 && k > 0 && s[k-1] == ' ' && isTypoDash(s[k:]):
			sepLen = 3 // "Support level – None"
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
		if f := classifyKey(strings.TrimRight(s, " :-=*–—")); f != fNone {
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
	first := joinEmail(words(fold(ws[0])))
	if len(first) == 0 || !lex.fields[fRoot].all[first[0]] && !lex.fields[fSupport].all[first[0]] {
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

// isTypoDash: s starts with an en or em dash followed by a space or the end.
func isTypoDash(s string) bool {
	if !strings.HasPrefix(s, "–") && !strings.HasPrefix(s, "—") {
		return false
	}
	return len(s) == 3 || s[3] == ' '
}
