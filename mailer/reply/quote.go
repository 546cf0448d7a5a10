package reply

import "strings"

// cutHistory removes the message being replied to: from an Outlook-style
// header block, an "-----Original Message-----" or forwarded-message
// separator, or an "On … wrote:" line that is not followed by `>` quoting, the
// rest is history. An attribution line followed by `>` quoting is only marked
// quoted, so answers typed between the quoted lines further down still count.
// A separator counts even inside a quote container: Gmail puts its
// "Forwarded message" line in one and the forwarded text after it, unquoted.
func cutHistory(ls []line) []line {
	for i := 0; i < len(ls); i++ {
		if ls[i].text == "" {
			continue
		}
		if isSeparator(ls[i].text) {
			return ls[:i]
		}
		if ls[i].depth > 0 {
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
				i = end
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

// separatorWords are the texts of the lines clients put above quoted or
// forwarded mail, once the surrounding dashes are removed.
var separatorWords = map[string]bool{
	"original message": true, "message d'origine": true, "message original": true,
	"forwarded message": true, "message transfere": true, "begin forwarded message": true,
	"debut du message reexpedie": true, "debut du message transfere": true, "reply message": true,
	"mensaje original": true, "ursprungliche nachricht": true, "weitergeleitete nachricht": true,
}

func isSeparator(text string) bool {
	if len(text) > 80 {
		return false
	}
	core := strings.Trim(fold(text), " -_=:*")
	return separatorWords[core]
}

// wroteEndings end an attribution line: "On …, X <x@y> wrote:", "Le … a écrit :".
var wroteEndings = []string{"wrote:", "wrote :", "ecrit:", "ecrit :", "schrieb:", "escribio:"}

// attribution recognises an "On … wrote:" line, which Gmail may wrap over
// up to three lines, and returns the index of its last line.
func attribution(ls []line, i int) (int, bool) {
	first := fold(ls[i].text)
	if len(first) > 300 {
		return 0, false
	}
	if hasAnySuffix(first, wroteEndings) {
		return i, true
	}
	if !hasPrefixWord(first, "on") && !hasPrefixWord(first, "le") && !hasPrefixWord(first, "am") && !hasPrefixWord(first, "el") {
		return 0, false
	}
	joined := first
	for k := i + 1; k < len(ls) && k <= i+2; k++ {
		if ls[k].depth > 0 || ls[k].text == "" {
			break
		}
		joined += " " + fold(ls[k].text)
		if len(joined) > 400 {
			break
		}
		if hasAnySuffix(joined, wroteEndings) {
			return k, true
		}
	}
	return 0, false
}

func hasAnySuffix(s string, suffixes []string) bool {
	s = strings.TrimRight(s, " ")
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// Names of the header lines Outlook (and Apple/Thunderbird forwards) write
// above the quoted message, in English, French and German.
var (
	fromNames   = map[string]bool{"from": true, "de": true, "von": true, "expediteur": true}
	headerNames = map[string]bool{
		"sent": true, "date": true, "to": true, "cc": true, "subject": true, "envoye": true,
		"a": true, "objet": true, "gesendet": true, "an": true, "betreff": true, "importance": true,
		"reply-to": true, "repondre a": true, "destinataire": true, "sujet": true,
	}
)

// headerName returns the folded name of a "Name: value" line, or "".
func headerName(text string) string {
	if len(text) > 400 {
		text = text[:400]
	}
	c := strings.IndexByte(text, ':')
	if c <= 0 || c > 24 {
		return ""
	}
	return strings.Trim(fold(text[:c]), " *_")
}

// isHeaderBlock: a From line followed, within six lines, by at least two
// other header lines (Sent, To, Subject…).
func isHeaderBlock(ls []line, i int) bool {
	if !fromNames[headerName(ls[i].text)] {
		return false
	}
	n := 0
	for k := i + 1; k < len(ls) && k <= i+6; k++ {
		if ls[k].depth > 0 {
			break
		}
		if headerNames[headerName(ls[k].text)] {
			n++
		}
	}
	return n >= 2
}
