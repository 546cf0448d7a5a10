package reply

// The support types every event carries (DESIGN §3).
const (
	Business   = "business"
	Developer  = "developer"
	Basic      = "basic"
	Enterprise = "enterprise"
)

// supportSpellings maps folded words to a support type: the English and
// Canadian-French names and the usual short forms.
var supportSpellings = map[string]string{
	"business": Business, "biz": Business, "affaires": Business, "businesses": Business,
	"developer": Developer, "developers": Developer, "dev": Developer, "devs": Developer,
	"devel": Developer, "developpeur": Developer, "developpeurs": Developer,
	"basic": Basic, "basique": Basic, "none": Basic, "aucun": Basic, "aucune": Basic, "free": Basic,
	"gratuit":    Basic,
	"enterprise": Enterprise, "entreprise": Enterprise,
}

// fuzzyTargets are the spellings a near miss is compared with ("Buisness",
// "Developper", "Enterprize").
var fuzzyTargets = []struct{ word, typ string }{
	{"business", Business}, {"developer", Developer}, {"developpeur", Developer},
	{"enterprise", Enterprise}, {"entreprise", Enterprise}, {"basic", Basic},
}

// noiseWords may stand next to a support type in a value without making it
// unrecognised: "Business Support plan", "Basic/No Support", "Enterprise On-Ramp".
var noiseWords = map[string]bool{
	"support": true, "plan": true, "type": true, "level": true, "tier": true, "aws": true,
	"please": true, "soutien": true, "the": true, "for": true, "now": true, "on": true, "ramp": true,
	"onramp": true, "de": true, "le": true, "la": true, "du": true, "thanks": true, "thank": true,
	"you": true, "merci": true, "only": true, "seulement": true, "just": true, "option": true,
	"plus": true, "standard": true, "a": true, "an": true,
}

// wordType maps one folded word to a support type, allowing a near miss of
// one edit (two for long words) when fuzzy is set.
func wordType(w, prev string, fuzzy bool) string {
	if t, ok := supportSpellings[w]; ok {
		return t
	}
	switch {
	case w == "base" && prev == "de": // "De base"
		return Basic
	case w == "support" && (prev == "no" || prev == "without"), w == "soutien" && (prev == "aucun" || prev == "sans" || prev == "pas"):
		return Basic
	}
	if !fuzzy || len(w) < 5 || len(w) > 14 {
		return ""
	}
	limit := 1
	if len(w) >= 8 {
		limit = 2
	}
	for _, t := range fuzzyTargets {
		if abs(len(t.word)-len(w)) <= limit && osaDistance(w, t.word, limit) <= limit {
			return t.typ
		}
	}
	return ""
}

// supportTypes reads a support type value: the distinct types it names, and
// whether it held any other words (then, with no type, it is unrecognised).
func supportTypes(value string) (types []string, other bool) {
	ws := words(fold(value))
	if len(ws) > 40 {
		ws = ws[:40]
	}
	if len(ws) == 1 && (ws[0] == "no" || ws[0] == "non") {
		return []string{Basic}, false
	}
	prev := ""
	for _, w := range ws {
		if t := wordType(w, prev, true); t != "" {
			types = appendUnique(types, t)
		} else if !noiseWords[w] && w != "no" && w != "de" && w != "base" {
			other = true
		}
		prev = w
	}
	return types, other
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
