package reply

import "strings"

// cutHistory removes the message being replied to: from an Outlook-style
// header block, an "-----Original Message-----" or forwarded-message
// separator, or an "On … wrote:" line that is not followed by `>` quoting, the
// rest is history. An attribution line followed by `>` quoting is only marked
// quoted, so answers typed between the quoted lines further down still count.
// A separator counts even inside a quote container: Gmail puts its
// "Forwarded message" line in one and the forwarded text after it, unquoted.
// It does not inside a quote opened by an attribution line: that is the
// quoted message's own history, and answers may still be typed below it.
// Every marker is read in every language of lang/.
func cutHistory(ls []line) []line {
	quoting := false // an attribution line opened the quote below it
	for i := 0; i < len(ls); i++ {
		if ls[i].text == "" {
			continue
		}
		if separatorKind(ls[i].text) != notSeparator && (ls[i].depth == 0 || !quoting) {
			return ls[:i]
		}
		if ls[i].depth > 0 {
			if !quoting {
				// Gmail and Thunderbird put the attribution inside the quote
				// container, already quoted.
				_, quoting = attribution(ls, i)
			}
			continue
		}
		if isHeaderBlock(ls, i) {
			return ls[:i]
		}
		if end, ok := attribution(ls, i); ok {
			if next := nextNonBlank(ls, end+1); next >= 0 && ls[next].depth > 0 {
				for k := i; k <= end; k++ {
					ls[k].depth = 1
				}
				i, quoting = end, true
				continue
			}
			return ls[:i]
		}
	}
	return ls
}

func nextNonBlank(ls []line, from int) int {
	for j := from; j < len(ls); j++ {
		if ls[j].text != "" {
			return j
		}
	}
	return -1
}

type sepKind int

const (
	notSeparator sepKind = iota
	originalSeparator
	forwardSeparator
)

// separatorKind recognises the lines clients put above quoted or forwarded
// mail, once the surrounding dashes are removed: "-----Original Message-----",
// "---------- Weitergeleitete Nachricht ---------", "Begin forwarded message:".
func separatorKind(text string) sepKind {
	if len(text) > 80 || !strings.Contains(text, "--") && !strings.Contains(text, "__") && !strings.HasSuffix(text, ":") {
		return notSeparator // every separator is dashed, or ends with a colon ("Begin forwarded message:")
	}
	core := strings.Trim(fold(text), " -_=:*")
	switch {
	case lex.forwardSeparators[core]:
		return forwardSeparator
	case lex.separators[core]:
		return originalSeparator
	}
	return notSeparator
}

// attribution recognises an "On … wrote:" line ("Am … schrieb …:", "El …
// escribió:", "Op … heeft … het volgende geschreven:", "Il giorno … ha
// scritto:"), which Gmail may wrap over up to three lines, and returns the
// index of its last line. It must be at one quoting depth throughout.
func attribution(ls []line, i int) (int, bool) {
	first := fold(ls[i].text)
	if len(first) > 300 {
		return 0, false
	}
	if isAttribution(first, first) {
		return i, true
	}
	if !startsAttribution(first) {
		return 0, false
	}
	joined := first
	for k := i + 1; k < len(ls) && k <= i+2; k++ {
		if ls[k].depth != ls[i].depth || ls[k].text == "" {
			break
		}
		joined += " " + fold(ls[k].text)
		if len(joined) > 400 {
			break
		}
		if isAttribution(joined, first) {
			return k, true
		}
	}
	return 0, false
}

func startsAttribution(first string) bool {
	for _, s := range lex.attrStarts {
		if hasPrefixWord(first, s) {
			return true
		}
	}
	return false
}

// isAttribution: the (joined) line ends with a colon and either ends with the
// verb ("… wrote:", "… a écrit :") or, opened like one and dated, names the
// verb before the sender ("Am 25.11.2026 um 10:15 schrieb X <x@y>:").
func isAttribution(joined, first string) bool {
	j := strings.TrimRight(joined, " ")
	if !strings.HasSuffix(j, ":") {
		return false
	}
	body := strings.TrimRight(j[:len(j)-1], " ")
	for _, v := range lex.attrVerbs {
		if strings.HasSuffix(body, v) && isWordBoundary(body, len(body)-len(v)-1) {
			return true
		}
	}
	if !startsAttribution(first) || !strings.ContainsAny(joined, "0123456789") {
		return false
	}
	for _, v := range lex.attrVerbs {
		if hasWord(body, v) {
			return true
		}
	}
	return false
}

// headerName returns the folded name of a "Name: value" line, or "".
func headerName(text string) string {
	if len(text) > 400 {
		text = text[:400]
	}
	c := strings.IndexByte(text, ':')
	if c <= 0 || c > 24 {
		return ""
	}
	return strings.Join(strings.Fields(strings.Trim(fold(text[:c]), " *_")), " ")
}

// isHeaderBlock: a From line ("From:", "Von:", "De :", "Da:", "Van:")
// followed, within six lines at its quoting depth, by at least two other
// header lines (Sent, To, Subject, Gesendet, Enviado el, Oggetto…).
func isHeaderBlock(ls []line, i int) bool {
	if !lex.fromNames[headerName(ls[i].text)] {
		return false
	}
	n := 0
	for k := i + 1; k < len(ls) && k <= i+6; k++ {
		if ls[k].depth != ls[i].depth {
			break
		}
		if lex.headerNames[headerName(ls[k].text)] {
			n++
		}
	}
	return n >= 2
}
