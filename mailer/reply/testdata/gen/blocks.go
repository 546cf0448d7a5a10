package main

import (
	"html"
	"regexp"
	"strings"
)

// block is a paragraph of one of our emails: text lines, or list items.
type block struct {
	lines []string // one per <br>-separated line, or one per list item
	items bool
}

var itemRE = regexp.MustCompile(`^(\d+)\. `)

// blocksOf reads our plain-text email back into the paragraphs its HTML
// has: wrapped lines are joined, list items and short lines kept apart.
func blocksOf(text string) []block {
	var out []block
	for _, para := range strings.Split(text, "\n\n") {
		ls := strings.Split(strings.Trim(para, "\n"), "\n")
		if len(ls) == 0 || ls[0] == "" {
			continue
		}
		if itemRE.MatchString(ls[0]) {
			b := block{items: true}
			for _, l := range ls {
				if itemRE.MatchString(l) {
					b.lines = append(b.lines, itemRE.ReplaceAllString(l, ""))
				} else {
					b.lines[len(b.lines)-1] += " " + strings.TrimSpace(l)
				}
			}
			out = append(out, b)
			continue
		}
		wrapped := false
		for _, l := range ls[:len(ls)-1] {
			if len(l) >= 60 {
				wrapped = true
			}
		}
		if wrapped {
			out = append(out, block{lines: []string{strings.Join(ls, " ")}})
		} else {
			out = append(out, block{lines: ls})
		}
	}
	return out
}

// outlookText is how Outlook writes our HTML email as text below a reply:
// paragraphs unwrapped, list items numbered with padding, and the answers a
// reseller typed after each question.
func outlookText(o original, inline [3]string) string {
	var b strings.Builder
	for _, bl := range blocksOf(o.text) {
		if bl.items {
			for i, it := range bl.lines {
				b.WriteString(itoa(i+1) + ".      " + it + "\n")
				if i < 3 && inline[i] != "" {
					b.WriteString(inline[i] + "\n")
				}
			}
			b.WriteString("\n")
			continue
		}
		b.WriteString(strings.Join(bl.lines, "\n") + "\n\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// outlookHTML is our email as Outlook for Windows re-renders it below a
// reply: Word paragraphs, list items as MsoListParagraph with their number
// as text, inline answers in red.
func outlookHTML(o original, inline [3]string, lang string) string {
	var b strings.Builder
	for _, bl := range blocksOf(o.text) {
		if bl.items {
			for i, it := range bl.lines {
				cls, style := "MsoListParagraph", "margin-left:36.0pt;text-indent:-18.0pt;mso-list:l0 level1 lfo1"
				b.WriteString(`<p class=` + cls + ` style='` + style + `'><![if !supportLists]><span lang=` + lang +
					`><span style='mso-list:Ignore'>` + itoa(i+1) + `.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; </span></span></span><![endif]><span lang=` +
					lang + `>` + autolink(html.EscapeString(it)) + `<o:p></o:p></span></p>` + "\n")
				if i < 3 && inline[i] != "" {
					b.WriteString(`<p class=MsoNormal style='margin-left:36.0pt'><b><span style='color:#C00000'>` +
						autolink(html.EscapeString(inline[i])) + `<o:p></o:p></span></b></p>` + "\n")
				}
			}
			continue
		}
		b.WriteString(`<p class=MsoNormal><span lang=` + lang + `>`)
		for i, l := range bl.lines {
			if i > 0 {
				b.WriteString("<br>\n")
			}
			b.WriteString(autolink(html.EscapeString(l)))
		}
		b.WriteString(`<o:p></o:p></span></p>` + "\n" + `<p class=MsoNormal><span lang=` + lang + `><o:p>&nbsp;</o:p></span></p>` + "\n")
	}
	return b.String()
}

// withInlineHTML inserts answers typed after each list item into our HTML
// (Outlook on the web keeps our <ol> and the reseller types in the item).
func withInlineHTML(h string, inline [3]string) string {
	n := 0
	return regexp.MustCompile(`</li>`).ReplaceAllStringFunc(h, func(m string) string {
		n++
		if n <= 3 && inline[n-1] != "" {
			return `<div><b><span style="color:rgb(192, 0, 0)">` + autolink(html.EscapeString(inline[n-1])) + `</span></b></div></li>`
		}
		return m
	})
}

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}`)

// autolink makes addresses links, as every HTML editor does while typing.
func autolink(escaped string) string {
	return emailRE.ReplaceAllStringFunc(escaped, func(a string) string {
		return `<a href="mailto:` + a + `">` + a + `</a>`
	})
}

// outlookAutolinkText is Outlook's text rendering of a linked address.
func outlookAutolinkText(s string) string {
	return emailRE.ReplaceAllStringFunc(s, func(a string) string { return a + "<mailto:" + a + ">" })
}

// quote prefixes every line with "> " (">" alone on empty lines).
func quote(text string) string {
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		if l == "" {
			b.WriteString(">\n")
		} else if strings.HasPrefix(l, ">") {
			b.WriteString(">" + l + "\n")
		} else {
			b.WriteString("> " + l + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// textHTML turns the reseller's typed lines into an editor's HTML: each
// line one element (wrap), empty lines a <br>.
func textHTML(text string, wrap func(string) string, empty string) string {
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		if l == "" {
			b.WriteString(empty)
			continue
		}
		b.WriteString(wrap(autolink(html.EscapeString(l))))
	}
	return b.String()
}

func itoa(i int) string {
	return string(rune('0' + i))
}
