package reply

import "strings"

// cutSignature removes the sender's signature and what follows it: from a
// "-- " line, a mobile footer ("Sent from my iPhone"), or a closing line
// ("Thanks,", "Cordialement") after which the sender answered nothing more.
func cutSignature(ls []line) []line {
	a := answers{ls: ls, next: -2}
	for i, l := range ls {
		if l.depth > 0 || l.text == "" {
			continue
		}
		t := strings.TrimSpace(l.text)
		if t == "--" {
			return ls[:i]
		}
		f := fold(t)
		if isMobileFooter(f) {
			return ls[:i]
		}
		if isValediction(f) && !a.after(i+1) {
			return ls[:i]
		}
	}
	return ls
}

// answers finds, lazily, the sender's lines that carry an answer: asked only
// at closing lines, in increasing order, so each line is examined once.
type answers struct {
	ls   []line
	next int // an answer line at or after the last question; -1 none; -2 not looked yet
	from int // lines before from are known to carry none
}

func (a *answers) after(i int) bool {
	if a.next == -1 {
		return false
	}
	if a.next >= i {
		return true
	}
	for k := max(i, a.from); k < len(a.ls); k++ {
		if a.ls[k].depth == 0 && isAnswerish(a.ls, k) {
			a.next, a.from = k, k
			return true
		}
	}
	a.next = -1
	return false
}

// isAnswerish: a line that carries an answer, or talks about one in prose,
// so a "Thanks," above it was not the end of the message.
func isAnswerish(ls []line, i int) bool {
	t := ls[i].text
	if t == "" {
		return false
	}
	if i > 0 && ls[i-1].depth > 0 {
		return true
	}
	if _, _, ok := numbered(t); ok {
		return true
	}
	for _, lb := range parseLabels(t) {
		switch {
		case lb.value == "", lb.field == fNick, lb.field == fRoot && plausible(fRoot, lb.value):
			return true
		case lb.field == fSupport:
			// A signature's "Support: support@x.example" is no answer.
			if types, _ := supportTypes(lb.value); len(types) > 0 {
				return true
			}
		}
	}
	// Prose answers are sentences; a signature line that happens to say
	// "Root Cause Analytics" is not.
	f := fold(t)
	ws := words(f)
	if len(ws) < 6 {
		return false
	}
	if mentionsRoot(f) || lex.fields[fNick].mentions(ws) {
		return true
	}
	for _, trig := range lex.nickTriggers {
		if strings.Contains(f, trig) {
			return true
		}
	}
	return len(proseSupport(ws)) > 0
}

func isMobileFooter(f string) bool {
	if len(f) > 120 {
		return false
	}
	for _, p := range lex.mobileFooters {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	return false
}

// isValediction: the line is a closing phrase, alone or followed by
// punctuation and at most a few words ("Thanks, Dana", "Best regards — Hannah",
// "Merci et bonne journée,"), never a sentence that goes on ("Thanks for…").
func isValediction(f string) bool {
	if len(f) > 60 {
		return false
	}
	for _, v := range lex.valedictions {
		if !hasPrefixWord(f, v) {
			continue
		}
		rest := strings.TrimSpace(f[len(v):])
		if rest == "" {
			return true
		}
		trimmed := strings.TrimLeft(rest, ",.!-;")
		if trimmed == rest && !startsWithConjunction(rest) {
			return false
		}
		trimmed = strings.TrimSpace(strings.TrimRight(trimmed, ",.!"))
		if strings.ContainsAny(trimmed, ":@0123456789") || len(strings.Fields(trimmed)) > 4 {
			return false
		}
		return true
	}
	return false
}

// startsWithConjunction: "Merci et bonne journée", "Danke und viele Grüße".
func startsWithConjunction(s string) bool {
	for _, c := range lex.conjunctions {
		if hasPrefixWord(s, c) {
			return true
		}
	}
	return false
}
