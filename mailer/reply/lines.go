package reply

import "strings"

// line is one line of a message body as the sender's client laid it out.
type line struct {
	text  string // quote markers removed, invisible characters dropped, right-trimmed
	depth int    // quoting level: 0 is text the sender wrote in this message
}

// plainLines splits a text/plain body into lines and reads `>` quoting.
func plainLines(s string) []line {
	n := strings.Count(s, "\n") + 1
	out := make([]line, 0, n)
	for len(s) > 0 {
		var l string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			l, s = s[:i], s[i+1:]
		} else {
			l, s = s, ""
		}
		depth, rest := quoteDepth(l)
		out = append(out, line{text: strings.TrimRight(cleanLine(rest), " \t"), depth: depth})
	}
	return squeezeBlank(out)
}

// quoteDepth counts leading `>` markers ("> > x", ">> x", " > x") and returns
// the text after them and one optional space.
func quoteDepth(l string) (int, string) {
	depth, i := 0, 0
	for i < len(l) {
		j := i
		for j < len(l) && j-i < 3 && l[j] == ' ' {
			j++
		}
		if j < len(l) && l[j] == '>' {
			depth++
			i = j + 1
			continue
		}
		break
	}
	if depth > 0 && i < len(l) && l[i] == ' ' {
		i++
	}
	return depth, l[i:]
}

// squeezeBlank keeps at most one blank line in a row, so that "the value is
// on the next line" does not depend on how many empty paragraphs a client
// inserted, nor at which quoting level.
func squeezeBlank(ls []line) []line {
	out := ls[:0]
	for _, l := range ls {
		if l.text == "" && len(out) > 0 {
			if out[len(out)-1].text == "" {
				continue
			}
		}
		out = append(out, l)
	}
	return out
}
