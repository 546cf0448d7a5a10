package mailer

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strings"
	texttemplate "text/template"

	"github.com/acctflow/acctflow/retry"
)

// Kinds of mail; also the kind argument of MessageID.
const (
	KindConfirmation    = "confirmation"
	KindRejection       = "rejection"
	KindClarification   = "clarification"
	KindFollowup        = "followup"
	KindAcknowledgement = "acknowledgement"
	KindRoleRejected    = "role_rejected"
	KindTicket          = "ticket"
	KindAlert           = "ops_alert"
)

// Data is the typed content of one kind of mail: to resellers
// ConfirmationData, RejectionData, ClarificationData, AcknowledgementData,
// FollowupData, RoleRejectedData, HeldConfirmData, ReminderData or
// ExpiryData; to the support desk and ops TicketData, AlertData,
// FailureAlertData, RoleAlertData or DigestData.
//
// Adding a kind of customer mail is one step: a <kind>.go with its Data (a
// Lang field, Kind, prepare), <kind>.tmpl defining "<kind>.text" and
// "<kind>.html", and locales/<lang>/<kind>.json for every language (the
// catalogue tests name what is missing).
type Data interface {
	Kind() string
	// prepare validates, cleans every typed-in value and returns the subject
	// and the value the templates see; t gives sentences in the mail's
	// language.
	prepare(t *tr) (subject string, view any, err error)
}

// localized is a Data written in the reseller's language; ops mail (the
// ticket, the alerts, the digest) is English, outside the catalogue.
type localized interface{ language() Lang }

// Signature is who signs customer mail.
type Signature struct {
	Team    string // the catalogue's "Account Provisioning" when empty
	Company string // e.g. "Meridian Cloud Distribution"; optional
}

func (s Signature) clean() Signature {
	s.Team, s.Company = oneLine(s.Team), oneLine(s.Company)
	return s
}

//go:embed *.tmpl
var templateFS embed.FS

// templates holds, per language, the text and HTML templates with t and tn
// bound to that language's catalogue. They are parsed once and only read
// afterwards, which both template packages allow concurrently. A parse
// failure is a bug in this package that every test would catch, hence Must.
var templates = mustTemplates()

type templateSet struct {
	text map[Lang]*texttemplate.Template
	html map[Lang]*htmltemplate.Template
}

var funcs = map[string]any{
	"supportLabel": supportLabel,
	"add1":         func(i int) int { return i + 1 },
	// Bound per language below.
	"t":  func(string, ...any) (string, error) { return "", nil },
	"tn": func(string, int, ...any) (string, error) { return "", nil },
	"th": func(string, ...any) (htmltemplate.HTML, error) { return "", nil },
	// Values shown as links in HTML, as their label in text.
	"mailto": mailtoLink,
	"url":    urlLink,
}

func mustTemplates() templateSet {
	text := texttemplate.Must(texttemplate.New("").Funcs(funcs).ParseFS(templateFS, "*.tmpl"))
	html := htmltemplate.Must(htmltemplate.New("").Funcs(funcs).ParseFS(templateFS, "*.tmpl"))
	set := templateSet{text: map[Lang]*texttemplate.Template{}, html: map[Lang]*htmltemplate.Template{}}
	for _, lang := range Langs() {
		l := localeOf(lang)
		bound := map[string]any{"t": l.T, "tn": l.N, "th": l.H}
		set.text[lang] = texttemplate.Must(text.Clone()).Funcs(bound)
		set.html[lang] = htmltemplate.Must(html.Clone()).Funcs(bound)
	}
	return set
}

// Render produces the subject, the text part and the HTML part of d, in d's
// language. Errors mean d itself is unusable (missing or invalid fields)
// and are marked retry.Permanent: rendering the same event again cannot
// succeed.
func Render(d Data) (subject, text, html string, err error) {
	lang, subject, text, fragment, err := render(d)
	if err != nil {
		return "", "", "", err
	}
	if html, err = wrapHTML(lang, fragment); err != nil {
		return "", "", "", retry.Permanent(fmt.Errorf("rendering %s mail: %w", d.Kind(), err))
	}
	return subject, text, html, nil
}

// render returns the language, the subject, the text and the HTML fragment
// (no layout).
func render(d Data) (lang Lang, subject, text, html string, err error) {
	kind := d.Kind()
	lang = English
	wrap := wrapOpsText // ops mail is English
	if l, ok := d.(localized); ok {
		lang, wrap = l.language().orEnglish(), wrapText
	}
	t := &tr{locale: localeOf(lang)}
	subject, view, err := d.prepare(t)
	if err == nil {
		err = t.err
	}
	if err != nil {
		return lang, "", "", "", retry.Permanent(fmt.Errorf("rendering %s mail: %w", kind, err))
	}
	var tb, hb bytes.Buffer
	if err := templates.text[lang].ExecuteTemplate(&tb, kind+".text", view); err != nil {
		return lang, "", "", "", retry.Permanent(fmt.Errorf("rendering %s text: %w", kind, err))
	}
	if err := templates.html[lang].ExecuteTemplate(&hb, kind+".html", view); err != nil {
		return lang, "", "", "", retry.Permanent(fmt.Errorf("rendering %s HTML: %w", kind, err))
	}
	return lang, oneLine(subject), wrap(tidyText(tb.String()), textWidth), hb.String(), nil
}

func wrapHTML(lang Lang, fragment string) (string, error) {
	var b bytes.Buffer
	// The fragment was produced by html/template, so it is already escaped.
	err := templates.html[lang].ExecuteTemplate(&b, "layout.html", struct {
		Lang Lang
		Body htmltemplate.HTML
	}{lang, htmltemplate.HTML(fragment)})
	return b.String(), err
}

var blankRuns = regexp.MustCompile(`\n{3,}`)

// tidyText lets the templates be laid out for reading: trailing spaces go,
// runs of blank lines become one, and the text ends with one newline.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	s = blankRuns.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
	return strings.Trim(s, "\n") + "\n"
}

// supportLabel names a DESIGN support type as customers know it: AWS's
// product names, the same in every language.
func supportLabel(t string) string {
	switch t {
	case "business":
		return "Business Support"
	case "developer":
		return "Developer Support"
	case "basic":
		return "Basic Support"
	case "enterprise":
		return "Enterprise Support"
	}
	return ""
}

// subjectTag ends every subject: the inbox matches replies by it, in every
// language.
func subjectTag(subject, requestID string) string {
	return subject + " [" + requestID + "]"
}
