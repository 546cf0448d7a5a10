package reply

// The support types every event carries (DESIGN §3).
const (
	Business   = "business"
	Developer  = "developer"
	Basic      = "basic"
	Enterprise = "enterprise"
)

// wordType maps one folded word to a support type, in any language of the
// tables, given the one or two words before it: "De base", "Kein Support",
// "Sin soporte", "Nessun supporto", "geen ondersteuning". A near miss of one
// edit (two for long words) counts when fuzzy is set: "Buisness",
// "Developper", "Entwikler".
func wordType(w, prev, prev2 string, fuzzy bool) string {
	if t, ok := lex.supportWord[w]; ok {
		return t
	}
	if prev != "" {
		if t, ok := lex.supportPhrase[prev+" "+w]; ok {
			return t
		}
	}
	if lex.supportNouns[w] && (lex.noneWords[prev] || isLinkWord(prev) && lex.noneWords[prev2]) {
		return Basic // "no support", "pas de soutien", "sem suporte"
	}
	if !fuzzy || len(w) < 5 || len(w) > 14 {
		return ""
	}
	limit := 1
	if len(w) >= 8 {
		limit = 2
	}
	for _, t := range lex.fuzzy {
		if abs(len(t.word)-len(w)) <= limit && osaDistance(w, t.word, limit) <= limit {
			return t.typ
		}
	}
	return ""
}

// isLinkWord: the "de" of "pas de soutien", "di" of "senza di".
func isLinkWord(w string) bool { return w == "de" || w == "d" || w == "di" }

// supportTypes reads a support type value: the distinct types it names, and
// whether it held any other words (then, with no type, it is unrecognised).
func supportTypes(value string) (types []string, other bool) {
	ws := words(fold(value))
	if len(ws) > 40 {
		ws = ws[:40]
	}
	if len(ws) == 1 && (ws[0] == "no" || ws[0] == "non" || ws[0] == "nein" || ws[0] == "nee") {
		return []string{Basic}, false
	}
	prev, prev2 := "", ""
	for _, w := range ws {
		if t := wordType(w, prev, prev2, true); t != "" {
			types = appendUnique(types, t)
		} else if !lex.valueNoise[w] && !lex.noneWords[w] && !isLinkWord(w) && !lex.supportNouns[w] && !partOfPhrase(w) {
			other = true
		}
		prev2, prev = prev, w
	}
	return types, other
}

// partOfPhrase: the first word of a two-word value ("de" of "de base") says
// nothing on its own, and is no sign of an unrecognised value.
func partOfPhrase(w string) bool {
	return lex.phraseHeads[w]
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// osaDistance is the optimal-string-alignment edit distance (insertions,
// deletions, substitutions, adjacent transpositions), giving up above limit.
func osaDistance(a, b string, limit int) int {
	if len(a) > 16 || len(b) > 16 {
		return limit + 1
	}
	var d [17][17]int
	for i := 0; i <= len(a); i++ {
		d[i][0] = i
	}
	for j := 0; j <= len(b); j++ {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		rowMin := limit + 1
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, d[i-2][j-2]+1)
			}
			d[i][j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
	}
	return d[len(a)][len(b)]
}
