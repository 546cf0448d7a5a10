package console

import (
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/acctflow/acctflow/lifecycle"
)

var funcs = template.FuncMap{
	"stage": stageLabel,
	"rows":  rowsHTML,
	"when": func(s string) string {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return s
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"whent":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"join":    strings.Join,
	"pathesc": url.PathEscape,
	"clip":    clip,
}

func stageLabel(s lifecycle.Stage) string {
	if s == "" {
		return "new"
	}
	return strings.ReplaceAll(string(s), "_", " ")
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func parsePages() (*template.Template, error) {
	return template.New("console").Funcs(funcs).ParseFS(assets, "assets/templates/*.html")
}
