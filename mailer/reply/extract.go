package reply

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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

// addNick keeps the nickname as the sender typed it: accents, dashes,
// emoji and all, in NFC so that the same name typed on a Mac and on Windows
// is one name; only surrounding quotes and runs of spaces go.
func (c *candidates) addNick(value string) {
	v := trimQuotes(strings.TrimSpace(value))
	if v == "" || placeholder(v) {
		return
	}
	v = norm.NFC.String(strings.Join(strings.Fields(truncate(v, 4*maxNicknameRunes)), " "))
	c.nicks = appendUnique(c.nicks, v)
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

// placeholder: what people write for "not decided yet", in any language.
func placeholder(v string) bool {
	return lex.placeholders[strings.Join(strings.Fields(strings.Trim(fold(strings.TrimSpace(v)), " .!")), " ")]
}

// trimQuotes removes one pair of quotes (or emphasis) around a value at a
// time: "x", 'x', *x*, `x`, [x], “x”, „x“, «x», ‘x’.
func trimQuotes(v string) string {
	for {
		a, an := utf8.DecodeRuneInString(v)
		b, bn := utf8.DecodeLastRuneInString(v)
		if len(v) < an+bn || !quotePair(a, b) {
			return v
		}
		v = strings.TrimSpace(v[an : len(v)-bn])
	}
}

func quotePair(a, b rune) bool {
	switch a {
	case '"', '\'', '*', '`':
		return b == a
	case '[':
		return b == ']'
	case '“', '”', '„':
		return b == '”' || b == '“'
	case '«':
		return b == '»'
	case '»':
		return b == '«'
	case '‘', '‚':
		return b == '’' || b == '‘'
	}
	return false
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
		case !usableNickname(c.nicks[0]):
			f.nickProblem = ProblemNicknameUnusable
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

// validNickname: what a reseller may call an account, as typed: 1–100
// characters of text (any letters, accents, dashes, emoji), no control
// characters.
func validNickname(n string) bool {
	if n == "" || !utf8.ValidString(n) || utf8.RuneCountInString(n) > maxNicknameRunes {
		return false
	}
	for _, r := range n {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
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
