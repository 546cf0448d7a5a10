package mailer

import (
	"errors"
	"strconv"
	"time"
)

// Kinds of the reminder and expiry mails.
const (
	KindReminder = "reminder"
	KindExpiry   = "expiry"
)

// ReminderData reminds the reseller's contact that a request still waits
// for their details: it says what is already known and asks only for the
// rest, like a clarification. Send it in the reseller's thread (In-Reply-To
// the confirmation) with the tokenised Reply-To of their region's mailbox.
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
	RootEmail      string
	Nickname       string // as the reseller typed it
	AWSAccountName string // how AWS will show Nickname (aws.AccountName); optional
	SupportType    string
	// Problems are the reply parser's codes still standing (e.g.
	// root_email_in_use), as the request's record lists them. Only codes
	// about a field count: the reseller cannot give anything else again.
	Problems       []string
	ReplyChannel   string
	SupportMailbox string
	Lang           Lang // LangFor the reseller; "" is English
	Sig            Signature
}

// Kind implements Data.
func (ReminderData) Kind() string     { return KindReminder }
func (d ReminderData) language() Lang { return d.Lang }

type reminderView struct {
	customer
	Last               bool
	AskedOn, ExpiresOn string
	Partial            bool     // something is known already
	Known              []string // "the root email address x@y", …
	Needs              []string // one item per field asked for, with why
	SupportMailbox     string
	Lines              []string
}

func (d ReminderData) prepare(t *tr) (string, any, error) {
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
	values := map[string]string{
		"root_email": oneLine(d.RootEmail), "nickname": oneLine(d.Nickname), "support_type": supportLabel(d.SupportType),
	}
	codes, _ := groupProblems(d.Problems) // codes about no field are not asked again
	v := reminderView{customer: c, Last: d.Last, AskedOn: day(t, d.AskedAt), ExpiresOn: day(t, d.ExpiresAt), SupportMailbox: box}
	need := map[string]bool{}
	for _, f := range clarifyFields {
		if values[f] != "" {
			v.Partial = true
		}
		if values[f] == "" && len(codes[f]) == 0 {
			codes[f] = []string{f + "_missing"}
		}
		if len(codes[f]) == 0 {
			v.Known = append(v.Known, knownDetail(t, f, values[f], oneLine(d.AWSAccountName)))
			continue
		}
		need[f] = true
		v.Needs = append(v.Needs, needItem(t, f, values[f], codes[f], reminderMissing))
	}
	if len(v.Needs) == 0 {
		return "", nil, errors.New("reminder with nothing missing")
	}
	v.Lines = answerLines(t, need["root_email"], need["nickname"], need["support_type"])
	subject := t.T("reminder.subject", "Subject", t.T("confirmation.subject", "Customer", c.CustomerName))
	return subjectTag(subject, c.RequestID), v, nil
}

// reminderMissing is what a reminder says about a field that nobody gave
// yet: what it must be (the clarification says it was not in the reply).
func reminderMissing(t *tr, field string) string {
	switch field {
	case "root_email":
		return t.T("reminder.root_email_missing")
	case "nickname":
		return t.T("reminder.nickname_missing")
	}
	return "" // the support type: its choices follow
}

// ExpiryData tells the reseller's contact that a request closed because
// the details never came.
type ExpiryData struct {
	RequestID    string
	ContactName  string
	CustomerName string
	AskedAt      time.Time // when we last asked for the details
	Reminders    int       // how many reminders were sent
	Lang         Lang      // LangFor the reseller; "" is English
	Sig          Signature
}

// Kind implements Data.
func (ExpiryData) Kind() string     { return KindExpiry }
func (d ExpiryData) language() Lang { return d.Lang }

type expiryView struct {
	customer
	AskedOn   string
	Reminders int
}

func (d ExpiryData) prepare(t *tr) (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	if d.AskedAt.IsZero() {
		return "", nil, errors.New("expiry needs when we asked")
	}
	v := expiryView{customer: c, AskedOn: day(t, d.AskedAt), Reminders: max(d.Reminders, 0)}
	return subjectTag(t.T("expiry.subject", "Customer", c.CustomerName), c.RequestID), v, nil
}

// monthKeys name the months in the catalogue, January first.
var monthKeys = [12]string{
	"common.month_january", "common.month_february", "common.month_march", "common.month_april",
	"common.month_may", "common.month_june", "common.month_july", "common.month_august",
	"common.month_september", "common.month_october", "common.month_november", "common.month_december",
}

// day is how a date is written to resellers, in their language (UTC):
// 2 December 2026, 2. Dezember 2026, 1er décembre 2026.
func day(t *tr, at time.Time) string {
	at = at.UTC()
	key := "common.date"
	if at.Day() == 1 {
		key = "common.date_first" // 1er, 1º: the first of the month is an ordinal in some languages
	}
	return t.T(key, "Day", strconv.Itoa(at.Day()), "Month", t.T(monthKeys[at.Month()-1]), "Year", strconv.Itoa(at.Year()))
}
