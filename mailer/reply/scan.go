package reply

import "strings"

// scanLines gathers candidate values from a body whose history and
// signature are already cut: labelled lines (value on the same or the next
// line), answers typed under a quoted label or list item, numbered answers,
// then prose in what is left.
func scanLines(ls []line) (tiers [numTiers]candidates) {
	consumed := make([]bool, len(ls))
	var items []item
	otherItems := false
	ctx, ctxFromItem := fNone, false
	for i, l := range ls {
		if l.depth > 0 {
			ctx, ctxFromItem = quotedContext(l.text, ctx, ctxFromItem)
			continue
		}
		if l.text == "" || consumed[i] {
			continue
		}
		if parts, ok := splitNumberedLine(l.text); ok && !anyQuestion(parts) {
			// "1. x@y.example 2. Contoso Prod 3. Business", each part
			// perhaps labelled: the three answers typed on one line.
			consumed[i] = true
			ctx = fNone
			for k, p := range parts {
				if labs := parseLabels(p); len(labs) > 0 {
					for _, lb := range labs {
						tiers[tierLabel].add(lb.field, lb.value)
					}
					continue
				}
				items = append(items, item{k + 1, p, i})
			}
			continue
		}
		if labs := parseLabels(l.text); len(labs) > 0 {
			consumed[i] = true
			ctx = fNone
			for _, lb := range labs {
				if lb.value != "" {
					tiers[tierLabel].add(lb.field, lb.value)
				} else if j := valueLine(ls, i, consumed); j >= 0 {
					tiers[tierLabel].add(lb.field, cleanValue(ls[j].text))
					consumed[j] = true
				}
			}
			continue
		}
		n, rest, isItem := numbered(l.text)
		if ctx != fNone {
			v := l.text
			if isItem {
				v = rest
			}
			if plausible(ctx, v) {
				tiers[tierLabel].add(ctx, cleanValue(v))
				consumed[i] = true
				ctx = fNone
				continue
			}
			ctx = fNone
		}
		if isItem {
			if itemField(n) == fNone || isQuestion(rest) {
				otherItems = true // a list of the sender's own, or their questions
				continue
			}
			items = append(items, item{n, rest, i})
			consumed[i] = true
		}
	}
	if !otherItems && looksLikeAnswers(items) {
		for _, it := range items {
			tiers[tierNumbered].add(itemField(it.n), cleanValue(it.value))
		}
	} else {
		for _, it := range items {
			consumed[it.line] = false // not answers after all: back to prose
		}
	}
	scanProse(ls, consumed, &tiers[tierProse])
	return tiers
}

// item is a numbered line of the sender's: "2. Contoso Prod".
type item struct {
	n     int
	value string
	line  int
}

// looksLikeAnswers: numbered lines answer the email's list when items 1–3
// are all there is, at least two of them or a lone "1." with an address, and
// what they say fits: item 1 holds an address or item 3 a support type. A
// numbered list of the sender's own questions is not taken for answers.
func looksLikeAnswers(items []item) bool {
	distinct := map[int]bool{}
	for _, it := range items {
		distinct[it.n] = true
	}
	if len(distinct) < 2 && !(len(items) == 1 && items[0].n == 1) {
		return false
	}
	for _, it := range items {
		if it.n == 1 && (strings.Contains(it.value, "@") || spelledOut(fold(it.value))) {
			return true
		}
		if it.n == 3 {
			if types, _ := supportTypes(it.value); len(types) > 0 {
				return true
			}
		}
	}
	return false
}

// quotedContext follows the quoted template: a quoted empty label ("> Root
// email:") or list item ("> 1. A new root email address…", with its indented
// continuation lines) is what an unquoted line typed right under it answers.
func quotedContext(text string, ctx field, fromItem bool) (field, bool) {
	if strings.TrimSpace(text) == "" {
		return ctx, fromItem
	}
	if n, _, ok := numbered(text); ok {
		return itemField(n), true
	}
	if labs := parseLabels(text); len(labs) == 1 && labs[0].value == "" {
		return labs[0].field, false
	}
	if fromItem && ctx != fNone && (text[0] == ' ' || text[0] == '\t') {
		return ctx, true
	}
	return fNone, false
}

// valueLine finds the value of a label left empty on line i: the next line,
// or the one after a single blank line, if it is the sender's and is not
// itself a label.
func valueLine(ls []line, i int, consumed []bool) int {
	for j := i + 1; j < len(ls) && j <= i+2; j++ {
		if ls[j].text == "" {
			continue
		}
		if ls[j].depth > 0 || consumed[j] {
			return -1
		}
		if len(parseLabels(ls[j].text)) > 0 {
			return -1
		}
		return j
	}
	return -1
}

// plausible: could this unquoted line be the answer to the quoted prompt
// above it? A line of prose or a greeting under "> Account nickname:" is not.
func plausible(f field, v string) bool {
	v = strings.TrimSpace(v)
	switch f {
	case fRoot:
		return strings.Contains(v, "@") || spelledOut(fold(v))
	case fSupport:
		types, _ := supportTypes(v)
		return len(types) > 0 || len(strings.Fields(v)) <= 2 && !isValediction(fold(v))
	case fNick:
		return len(v) <= 80 && len(strings.Fields(v)) <= 8 && !strings.HasSuffix(v, ":") &&
			!strings.HasSuffix(v, "?") && !isValediction(fold(v))
	}
	return false
}

// splitNumberedLine splits "1. a 2. b 3. c" (or "1) a 2) b 3) c") into its
// three parts; the markers must come in order, each after a space.
func splitNumberedLine(s string) ([]string, bool) {
	n, rest, ok := numbered(s)
	if !ok || n != 1 {
		return nil, false
	}
	i2, l2 := itemMarker(rest, '2')
	if i2 < 0 {
		return nil, false
	}
	i3, l3 := itemMarker(rest[i2+l2:], '3')
	if i3 < 0 {
		return nil, false
	}
	i3 += i2 + l2
	parts := []string{
		strings.TrimSpace(rest[:i2]),
		strings.TrimSpace(rest[i2+l2 : i3]),
		strings.TrimSpace(rest[i3+l3:]),
	}
	for _, p := range parts {
		if p == "" {
			return nil, false
		}
	}
	return parts, true
}

// itemMarker finds " d. ", " d) " or " d: " in s and returns its offset and length.
func itemMarker(s string, d byte) (int, int) {
	for i := 0; i+3 < len(s); i++ {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == ',' || s[i] == ';') && s[i+1] == d &&
			(s[i+2] == '.' || s[i+2] == ')' || s[i+2] == ':') && s[i+3] == ' ' {
			return i, 4
		}
	}
	return -1, 0
}

func anyQuestion(parts []string) bool {
	for _, p := range parts {
		if isQuestion(p) {
			return true
		}
	}
	return false
}
