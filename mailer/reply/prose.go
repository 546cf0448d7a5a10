package reply

import "strings"

const maxParagraph = 8 << 10

// scanProse reads the sender's remaining sentences: "use x@y as the root
// email, call it Z, Developer support", "als Namen bitte „Müller – Prod“",
// "el tipo de soporte será Business".
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

// isQuestion: a sentence that asks ("Which support type do you recommend?",
// "¿Podemos usar Business?") gives no answer, whatever words it uses.
func isQuestion(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasSuffix(t, "?") || strings.HasPrefix(t, "¿")
}

func proseSentence(s string, c *candidates) {
	if strings.TrimSpace(s) == "" || isQuestion(s) {
		return
	}
	f, idx := foldIndexed(s)
	rest, restFolded := s, f
	if nick, from, to, ok := proseNickname(s, f, idx); ok {
		c.addNick(nick)
		// A nickname like "Business Apps" says nothing about support.
		rest, restFolded = s[:idx[from]]+" "+s[idx[to]:], f[:from]+" "+f[to:]
	}
	if mentionsRoot(restFolded) {
		found := false
		for _, t := range scanAddresses(rest) {
			if t.valid {
				c.roots = appendUnique(c.roots, strings.ToLower(t.addr))
				found = true
			} else {
				c.rootInvalid = true
			}
		}
		if !found && spelledOut(restFolded) {
			c.rootInvalid = true
		}
	}
	for _, t := range proseSupport(words(restFolded)) {
		c.supports = appendUnique(c.supports, t)
	}
}

// mentionsRoot: the sentence names the root account in one of the languages,
// as a word or as the start of a compound ("Root-E-Mail", "rootadres").
func mentionsRoot(folded string) bool {
	for _, w := range lex.rootWords {
		if hasWord(folded, w) {
			return true
		}
	}
	return false
}

// proseNickname finds "call it Z" (or "als Namen bitte Z", "o apelido será
// Z") in the folded sentence f and returns Z as the sender typed it, cut from
// s, and the span of f it covers.
func proseNickname(s, f string, idx []int) (string, int, int, bool) {
	at, trig := -1, ""
	for _, t := range lex.nickTriggers {
		if i := strings.Index(f, t); i >= 0 && (at < 0 || i < at) && isWordBoundary(f, i-1) {
			at, trig = i, t
		}
	}
	if at < 0 {
		return "", 0, 0, false
	}
	from := at + len(trig)
	for from < len(f) && f[from] == ' ' {
		from++
	}
	if from >= len(f) {
		return "", 0, 0, false
	}
	if q := f[from]; q == '"' || q == '\'' {
		if j := strings.IndexByte(f[from+1:], q); j >= 0 && j <= 200 {
			v := strings.TrimSpace(s[idx[from+1]:idx[from+1+j]])
			if v != "" {
				return v, from, from + j + 2, true
			}
		}
	}
	to := len(f)
	rest := f[from:]
	for _, stop := range lex.nickStops {
		if j := strings.Index(rest, stop); j >= 0 && from+j < to {
			to = from + j
		}
	}
	for _, stop := range []string{",", ";", ":", "(", ". ", "! ", " - "} {
		if j := strings.Index(rest, stop); j >= 0 && from+j < to {
			to = from + j
		}
	}
	// A verb closing the clause: "Das Konto soll Müller Prod heißen."
	seg := strings.TrimRight(f[from:to], " .!")
	for _, end := range lex.nickEnds {
		if strings.HasSuffix(seg, " "+end) {
			to = from + len(seg) - len(end) - 1
			break
		}
	}
	v := strings.TrimRight(strings.TrimSpace(s[idx[from]:idx[to]]), ".!")
	if v == "" || len(v) > 200 {
		return "", 0, 0, false
	}
	return v, from, to, true
}

// proseSupport finds support types mentioned as such: "Developer support",
// "business plan", "support: dev", "soutien de base", "no support",
// "el tipo de soporte será Business", "Supportart Entwickler"; a type word on
// its own ("our business") is not a support type, and a negated one ("we
// don't need Enterprise support", "kein Enterprise") is skipped.
func proseSupport(ws []string) []string {
	var out []string
	for i, w := range ws {
		prev, prev2 := "", ""
		if i > 0 {
			prev = ws[i-1]
		}
		if i > 1 {
			prev2 = ws[i-2]
		}
		t := wordType(w, prev, prev2, len(w) >= 7)
		if t == "" {
			continue
		}
		if lex.supportNouns[w] { // "no support", "aucun soutien", "kein Support"
			out = appendUnique(out, t)
			continue
		}
		negated := false
		for k := max(0, i-3); k < i; k++ {
			if lex.negators[ws[k]] {
				negated = true
			}
		}
		if negated {
			continue
		}
		near := i+1 < len(ws) && (lex.supportNouns[ws[i+1]] || lex.planNouns[ws[i+1]])
		for k := i - 1; !near && k >= 0 && k >= i-5; k-- {
			if lex.supportNouns[ws[k]] {
				near = true
				break
			}
			if !lex.glue[ws[k]] && !lex.phraseHeads[ws[k]] {
				break
			}
		}
		if near {
			out = appendUnique(out, t)
		}
	}
	return out
}
