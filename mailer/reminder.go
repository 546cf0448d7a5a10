package mailer

import (
	"errors"
	"strings"
	"time"
)

// Kinds of the reminder and expiry mails.
const (
	KindReminder = "reminder"
	KindExpiry   = "expiry"
)

// ReminderData reminds the reseller's contact that a request still waits
// for their details: it restates what is known and asks only for the rest,
// like a clarification. Send it in the reseller's thread (In-Reply-To the
// confirmation) with the tokenised Reply-To of their region's mailbox.
type ReminderData struct {
	RequestID    string
	ContactName  string
	CustomerName string
	Number       int  // 1 for the first reminder
	Last         bool // no reminder follows before the request expires
	// AskedAt is when we last asked for the details (the confirmation, or
	// the clarification after a partial reply); ExpiresAt is when the
	// request closes unanswered.
	AskedAt   time.Time
	ExpiresAt time.Time
	// What the reseller's replies gave so far; empty means missing.
	RootEmail   string
	Nickname    string
	SupportType string
	// Problems are the reply parser's codes still standing (e.g.
	// root_email_in_use), as the request's record lists them.
	Problems       []string
	ReplyChannel   string
	SupportMailbox string
	Sig            Signature
}

// Kind implements Data.
func (ReminderData) Kind() string { return KindReminder }

type reminderView struct {
	customer
	Last                         bool
	AskedOn, ExpiresOn           string
	RootEmail, Nickname, Support string
	Partial                      bool // something is known already
	SupportMailbox               string
	Problems                     []problem
	Lines                        []string
}

func (d ReminderData) prepare() (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	box, err := replyChannel(d.ReplyChannel, d.SupportMailbox)
	if err != nil {
		return "", nil, err
	}
	if err := checkSupportType(d.SupportType, true); err != nil {
		return "", nil, err
	}
	if d.Number < 1 {
		return "", nil, errors.New("reminder number must be at least 1")
	}
	if d.AskedAt.IsZero() || d.ExpiresAt.Before(d.AskedAt) {
		return "", nil, errors.New("reminder needs when we asked and a later expiry")
	}
	v := reminderView{
		customer: c, Last: d.Last, AskedOn: day(d.AskedAt), ExpiresOn: day(d.ExpiresAt),
		RootEmail: oneLine(d.RootEmail), Nickname: oneLine(d.Nickname), Support: supportLabel(d.SupportType),
		SupportMailbox: box,
	}
	v.Partial = v.RootEmail != "" || v.Nickname != "" || v.Support != ""
	v.Problems, v.Lines = stillNeeded(v.RootEmail, v.Nickname, v.Support, d.Problems)
	if len(v.Problems) == 0 {
		return "", nil, errors.New("reminder with nothing missing")
	}
	return "Reminder: " + ConfirmationSubject(c.CustomerName, c.RequestID), v, nil
}

// stillNeeded lists the sentences of what is still needed (a problem code
// the parser gave, or a missing field) in the order of the fill-in lines,
// and the lines to complete.
func stillNeeded(root, nickname, support string, problems []string) ([]problem, []string) {
	needRoot, needNick, needSupport := root == "", nickname == "", support == ""
	seen := map[string]bool{}
	var out []problem
	for _, code := range problems {
		code = oneLine(code)
		if code == "" || seen[code] || len(seen) == 20 {
			continue
		}
		seen[code] = true
		p := problem{Code: code}
		switch {
		case strings.HasPrefix(code, "root_email"):
			needRoot, p.Value = true, root
		case strings.HasPrefix(code, "nickname"):
			needNick, p.Value = true, nickname
		case strings.HasPrefix(code, "support_type"):
			needSupport = true
		default:
			continue // not about a field the reseller can give again
		}
		out = append(out, p)
	}
	for _, m := range []struct {
		code    string
		missing bool
	}{
		{"root_email_missing", root == ""},
		{"nickname_missing", nickname == ""},
		{"support_type_missing", support == ""},
	} {
		if m.missing && !hasPrefixOf(seen, m.code) {
			out = append(out, problem{Code: m.code})
		}
	}
	sortProblems(out)
	return out, fillLines(needRoot, needNick, needSupport)
}

// day is how a date is written to resellers: 2 December 2026 (UTC).
func day(t time.Time) string { return t.UTC().Format("2 January 2006") }

// ExpiryData tells the reseller's contact that a request closed because
// the details never came.
type ExpiryData struct {
	RequestID    string
	ContactName  string
	CustomerName string
	AskedAt      time.Time // when we last asked for the details
	Reminders    int       // how many reminders were sent
	Sig          Signature
}

// Kind implements Data.
func (ExpiryData) Kind() string { return KindExpiry }

type expiryView struct {
	customer
	AskedOn   string
	Reminders int
}

func (d ExpiryData) prepare() (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	if d.AskedAt.IsZero() {
		return "", nil, errors.New("expiry needs when we asked")
	}
	v := expiryView{customer: c, AskedOn: day(d.AskedAt), Reminders: max(d.Reminders, 0)}
	return "Request closed: Amazon Web Services (" + c.CustomerName + ") [" + c.RequestID + "]", v, nil
}
