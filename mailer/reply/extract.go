package reply

import (
	"strings"
	"unicode/utf8"
)

// Where a candidate value came from, most trusted first: a label (or the
// quoted label or list item an inline answer sits under), the numbered list,
// then plain prose.
const (
	tierLabel = iota
	tierNumbered
	tierProse
	numTiers
)

// candidates gathers what one tier of evidence says about the three fields.
type candidates struct {
	roots       []string // valid addresses, lower-cased, distinct
	rootInvalid bool     // an address was attempted but is not usable
	nicks       []string
	supports    []string
	supportOdd  bool // a support value named no known type
}

func (c *candidates) addRoot(value string) {
	found := false
	for _, t := range scanAddresses(value) {
		if t.valid {
			c.roots = appendUnique(c.roots, strings.ToLower(t.addr))
			found = true
		}
	}
	if found {
		return
	}
	v := strings.TrimSpace(value)
	switch {
	case strings.Contains(v, "@"), spelledOut(fold(v)):
		c.rootInvalid = true
	case v != "" && !strings.ContainsAny(v, " \t") && strings.ContainsAny(v, ".-_") && !placeholder(v):
		c.rootInvalid = true // one word that looks like an address attempt: "aws-root.fabrikam"
	}
}

func (c *candidates) addNick(value string) {
	v := trimQuotes(strings.TrimSpace(value))
	if v == "" || placeholder(v) {
		return
	}
	v = strings.Join(strings.Fields(v), " ")
	c.nicks = appendUnique(c.nicks, truncate(v, 256))
}

func (c *candidates) addSupport(value string) {
	types, other := supportTypes(value)
	for _, t := range types {
		c.supports = appendUnique(c.supports, t)
	}
	if len(types) == 0 && other && !placeholder(value) {
		c.supportOdd = true
	}
}

func (c *candidates) add(f field, value string) {
	switch f {
	case fRoot:
		c.addRoot(value)
	case fNick:
		c.addNick(value)
	case fSupport:
		c.addSupport(value)
	}
}

// placeholders are what people write for "not decided yet".
var placeholders = map[string]bool{
	"tbd": true, "tba": true, "tbc": true, "n/a": true, "na": true, "?": true, "-": true, "...": true,
	"to follow": true, "to be confirmed": true, "to be decided": true, "pending": true, "later": true,
	"a venir": true, "a confirmer": true, "a determiner": true, "xxx": true, "same": true,
}

func placeholder(v string) bool {
	return placeholders[strings.Trim(fold(strings.TrimSpace(v)), " .!")]
}

func trimQuotes(v string) string {
	for len(v) >= 2 {
		a, b := v[0], v[len(v)-1]
		if a == '"' && b == '"' || a == '\'' && b == '\'' || a == '*' && b == '*' || a == '`' && b == '`' || a == '[' && b == ']' {
			v = strings.TrimSpace(v[1 : len(v)-1])
			continue
		}
		return v
	}
	return v
}

// fields is the resolved outcome for the three details; a nil value comes
// with the problem that explains it.
type fields struct {
	root, nick, support                      *string
	rootProblem, nickProblem, supportProblem string
}

// resolve takes, for each field, the most trusted tier that said anything
// about it, and refuses to guess between two different values.
func resolve(tiers *[numTiers]candidates) fields {
	var f fields
	f.rootProblem, f.nickProblem, f.supportProblem = ProblemRootMissing, ProblemNicknameMissing, ProblemSupportMissing
	for i := range tiers {
		c := &tiers[i]
		if len(c.roots) == 0 && !c.rootInvalid {
			continue
		}
		switch {
		case len(c.roots) == 1:
			f.root, f.rootProblem = &c.roots[0], ""
		case len(c.roots) > 1:
			f.rootProblem = ProblemRootAmbiguous
		default:
			f.rootProblem = ProblemRootInvalid
		}
		break
	}
	for i := range tiers {
		c := &tiers[i]
		if len(c.nicks) == 0 {
			continue
		}
		switch {
		case len(c.nicks) > 1:
			f.nickProblem = ProblemNicknameAmbiguous
		case !validNickname(c.nicks[0]):
			f.nickProblem = ProblemNicknameInvalid
		default:
			f.nick, f.nickProblem = &c.nicks[0], ""
		}
		break
	}
	for i := range tiers {
		c := &tiers[i]
		if len(c.supports) == 0 && !c.supportOdd {
			continue
		}
		switch {
		case len(c.supports) == 1:
			f.support, f.supportProblem = &c.supports[0], ""
		case len(c.supports) > 1:
			f.supportProblem = ProblemSupportAmbiguous
		default:
			f.supportProblem = ProblemSupportUnknown
		}
		break
	}
	return f
}

// validNickname applies the AWS Organizations rule for an account name:
// 1–50 printable ASCII characters.
func validNickname(n string) bool {
	if n == "" || len(n) > 50 || !utf8.ValidString(n) {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < 0x20 || n[i] > 0x7e {
			return false
		}
	}
	return true
}

// fieldProblems lists the problem of every field left nil, in field order.
func fieldProblems(f fields) []string {
	var out []string
	if f.root == nil {
		out = append(out, nonEmpty(f.rootProblem, ProblemRootMissing))
	}
	if f.nick == nil {
		out = append(out, nonEmpty(f.nickProblem, ProblemNicknameMissing))
	}
	if f.support == nil {
		out = append(out, nonEmpty(f.supportProblem, ProblemSupportMissing))
	}
	return out
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// itemField maps the confirmation email's numbered list to the fields:
// 1. root email, 2. nickname, 3. support type.
func itemField(n int) field {
	switch n {
	case 1:
		return fRoot
	case 2:
		return fNick
	case 3:
		return fSupport
	}
	return fNone
}
