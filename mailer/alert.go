package mailer

import "errors"

// AlertData is a short notice to ops (creation still pending after its
// deadline, support plan group missing, ...), from text the caller wrote.
type AlertData struct {
	Subject   string
	Body      string // may span lines
	RequestID string // optional; tags the subject
}

// Kind implements Data.
func (AlertData) Kind() string { return KindAlert }

type alertView struct {
	Lines     []string
	RequestID string
}

func (d AlertData) prepare(*tr) (string, any, error) {
	subject := oneLine(d.Subject)
	if subject == "" {
		return "", nil, errors.New("alert without a subject")
	}
	if d.RequestID != "" && !requestIDPattern.MatchString(d.RequestID) {
		return "", nil, errors.New("invalid request id")
	}
	body := multiLine(d.Body, 200)
	if body == "" {
		body = subject
	}
	subject = "[acctflow] " + subject
	if d.RequestID != "" {
		subject += " [" + d.RequestID + "]"
	}
	return subject, alertView{Lines: splitLines(body), RequestID: d.RequestID}, nil
}
