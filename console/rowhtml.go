package console

import (
	"html"
	"html/template"
	"strconv"
	"strings"
)

// A region page may list thousands of rows; html/template's reflection
// costs most of such a page. Rows are written here instead, every value
// through html.EscapeString into a quoted attribute or text, never into a
// URL, script or style (the request id in the link is [A-Za-z0-9._-] by
// contract, and escaped all the same). TestRowEscapesEverything holds it
// to that.

func writeRow(b *strings.Builder, r row) {
	id := html.EscapeString(r.RequestID)
	since := html.EscapeString(r.Since)
	b.WriteString(`<tr id="r-`)
	b.WriteString(id)
	b.WriteString(`" data-since="`)
	b.WriteString(since)
	b.WriteString(`"><td><a href="/ui/requests/`)
	b.WriteString(id)
	b.WriteString(`">`)
	b.WriteString(id)
	b.WriteString(`</a></td>`)
	for _, v := range []string{r.Customer, r.Reseller, r.Contact, r.RootEmail} {
		b.WriteString(`<td>`)
		b.WriteString(html.EscapeString(v))
		b.WriteString(`</td>`)
	}
	b.WriteString(`<td><span class="stage">`)
	b.WriteString(html.EscapeString(stageLabel(r.Stage)))
	b.WriteString(`</span></td><td><time datetime="`)
	b.WriteString(since)
	b.WriteString(`" title="since `)
	b.WriteString(since)
	b.WriteString(`">`)
	b.WriteString(html.EscapeString(r.Age))
	b.WriteString(`</time></td><td>`)
	if r.Reminders > 0 {
		b.WriteString(strconv.Itoa(r.Reminders))
	}
	b.WriteString(`</td><td>`)
	if r.Held > 0 {
		b.WriteString(`<span class="tag tag-held">`)
		b.WriteString(strconv.Itoa(r.Held))
		b.WriteString(` held</span>`)
	}
	if r.Failure != "" {
		b.WriteString(`<span class="tag tag-failure" title="`)
		b.WriteString(html.EscapeString(r.Failure))
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(clip(r.Failure, 90)))
		b.WriteString(`</span>`)
	}
	if r.Missing != "" {
		b.WriteString(`<span class="note-missing" title="still missing">`)
		b.WriteString(html.EscapeString(clip(r.Missing, 90)))
		b.WriteString(`</span>`)
	}
	b.WriteString("</td></tr>\n")
}

// rowsHTML is a group's rows, ready for the page.
func rowsHTML(rows []row) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 420)
	for _, r := range rows {
		writeRow(&b, r)
	}
	return template.HTML(b.String()) // #nosec: every value escaped above
}

func rowHTML(r row) string {
	var b strings.Builder
	writeRow(&b, r)
	return b.String()
}
