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
	KindConfirmation  = "confirmation"
	KindRejection     = "rejection"
	KindClarification = "clarification"
	KindFollowup      = "followup"
	KindRoleRejected  = "role_rejected"
	KindTicket        = "ticket"
	KindAlert         = "ops_alert"
)

// Data is the typed content of one kind of mail: ConfirmationData,
// RejectionData, ClarificationData, FollowupData, RoleRejectedData,
// TicketData or AlertData.
type Data interface {
	Kind() string
	// prepare validates, cleans every typed-in value and returns the subject
	// and the value the templates see.
	prepare() (subject string, view any, err error)
}

// Signature is who signs customer mail.
type Signature struct {
	Team    string // "Account Provisioning" when empty
	Company string // e.g. "Meridian Cloud Distribution"; optional
}

func (s Signature) clean() Signature {
	s.Team, s.Company = oneLine(s.Team), oneLine(s.Company)
	if s.Team == "" {
		s.Team = "Account Provisioning"
	}
	return s
}

//go:embed *.tmpl
var templateFS embed.FS

// templates are parsed once and only read afterwards, which both template
// packages allow concurrently. A parse failure is a bug in this package that
// every test would catch, hence Must.
var templates = struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}{
	text: texttemplate.Must(texttemplate.New("").Funcs(texttemplate.FuncMap(funcs)).ParseFS(templateFS, "*.tmpl")),
	html: htmltemplate.Must(htmltemplate.New("").Funcs(htmltemplate.FuncMap(funcs)).ParseFS(templateFS, "*.tmpl")),
}

var funcs = map[string]any{
	"supportLabel": supportLabel,
	"payer":        payerAccounts,
	"add1":         func(i int) int { return i + 1 },
	"hasPrefix":    strings.HasPrefix,
}

// Render produces the subject, the text part and the HTML part of d. Errors
// mean d itself is unusable (missing or invalid fields) and are marked
// retry.Permanent: rendering the same event again cannot succeed.
func Render(d Data) (subject, text, html string, err error) {
	subject, text, fragment, err := render(d)
	if err != nil {
		return "", "", "", err
	}
	if html, err = wrapHTML(fragment); err != nil {
		return "", "", "", retry.Permanent(fmt.Errorf("rendering %s mail: %w", d.Kind(), err))
	}
	return subject, text, html, nil
}

// render returns the subject, the text and the HTML fragment (no layout).
func render(d Data) (subject, text, html string, err error) {
	kind := d.Kind()
	subject, view, err := d.prepare()
	if err != nil {
		return "", "", "", retry.Permanent(fmt.Errorf("rendering %s mail: %w", kind, err))
	}
	var tb, hb bytes.Buffer
	if err := templates.text.ExecuteTemplate(&tb, kind+".text", view); err != nil {
		return "", "", "", retry.Permanent(fmt.Errorf("rendering %s text: %w", kind, err))
	}
	if err := templates.html.ExecuteTemplate(&hb, kind+".html", view); err != nil {
		return "", "", "", retry.Permanent(fmt.Errorf("rendering %s HTML: %w", kind, err))
	}
	return oneLine(subject), tidyText(tb.String()), hb.String(), nil
}

func wrapHTML(fragment string) (string, error) {
	var b bytes.Buffer
	// The fragment was produced by html/template, so it is already escaped.
	err := templates.html.ExecuteTemplate(&b, "layout.html", htmltemplate.HTML(fragment))
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

// supportLabel names a DESIGN support type as customers know it.
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

// payerAccounts names whose payer accounts waive the Business Support
// minimum: the company when the signature has one.
func payerAccounts(s Signature) string {
	if s.Company == "" {
		return "our"
	}
	return s.Company + "'s"
}
