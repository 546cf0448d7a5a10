package mailer

import (
	"fmt"
	"html"
	htmltemplate "html/template"
	"strings"
)

// link is a placeholder value that HTML shows as a link (th) and text as
// its label (t). Href is built here from a checked mailbox or a constant
// URL, never from what someone typed.
type link struct{ Label, Href string }

func (l link) String() string { return l.Label }

func mailtoLink(mailbox string) link { return link{Label: mailbox, Href: "mailto:" + mailbox} }
func urlLink(url string) link        { return link{Label: url, Href: url} }

// H is T for HTML: the sentence and every value are escaped, and a link
// value becomes an <a> element. Values go through the catalogue as
// sentinels (NUL never occurs in a sentence) and are put in after the
// sentence is escaped, so no value can add markup.
func (l locale) H(id string, kv ...any) (htmltemplate.HTML, error) {
	if len(kv)%2 != 0 {
		return "", fmt.Errorf("message %s: odd placeholder list", id)
	}
	args := make([]any, len(kv))
	repl := make([]string, 0, len(kv))
	for i := 0; i < len(kv); i += 2 {
		args[i] = kv[i]
		sentinel := fmt.Sprintf("\x00%d\x00", i/2)
		args[i+1] = sentinel
		var out string
		switch v := kv[i+1].(type) {
		case link:
			out = `<a href="` + html.EscapeString(v.Href) + `">` + html.EscapeString(v.Label) + `</a>`
		default:
			out = html.EscapeString(fmt.Sprint(v))
		}
		repl = append(repl, html.EscapeString(sentinel), out)
	}
	s, err := l.T(id, args...)
	if err != nil {
		return "", err
	}
	return htmltemplate.HTML(strings.NewReplacer(repl...).Replace(html.EscapeString(s))), nil
}
