package mailer

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// KindDigest is the daily digest of a region's open requests, to its ops
// team.
const KindDigest = "digest"

// What an open request waits for (the values of lifecycle.Waiting), which
// says on whom.
const (
	WaitingFailure  = "failure"
	WaitingHeld     = "held"
	WaitingApproval = "approval"
	WaitingCreation = "creation"
	WaitingDetails  = "details"
	WaitingRole     = "role"
	WaitingGroup    = "group"
)

// DigestData lists what a region's open requests wait for and on whom.
type DigestData struct {
	Region  string
	OpsTeam string
	Now     time.Time // the digest's time, in the ops team's time zone
	Items   []DigestItem
}

// DigestItem is one open request.
type DigestItem struct {
	RequestID string
	Customer  string
	Reseller  string
	Waiting   string // a Waiting* value
	Stage     string
	Since     time.Time // when it reached its stage; zero if unknown
	Reminders int       // reminders sent to the reseller
	Held      int       // replies held for confirmation
	Failure   string    // the standing failure's words
}

// Kind implements Data.
func (DigestData) Kind() string { return KindDigest }

// regionPattern is routing's region names.
var regionPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// maxDigestLines bounds each section; the rest is counted.
const maxDigestLines = 200

type digestView struct {
	Region, OpsTeam, Date string
	Total                 int
	Sections              []digestSection
}

type digestSection struct {
	Title, Who, Action string
	Lines              []digestLine
	More               int // lines left out
	Count              int // requests in the section
}

type digestLine struct {
	RequestID, Customer, Reseller string
	Notes                         []string
}

// NotesLine is the notes as the text part shows them: one paragraph.
func (l digestLine) NotesLine() string { return strings.Join(l.Notes, "; ") }

// digestSections says, per Waiting value in the order ops read them, what
// the section is, who must act and how.
var digestSections = []struct {
	waiting, title, who, action string
}{
	{WaitingFailure, "An effect failed", "ops",
		"Read the failure (acctflow request show ID), fix its cause, then replay the dead letter (acctflow dlq list, acctflow dlq replay SEQ)."},
	{WaitingHeld, "Replies held for confirmation", "the contact, or ops",
		"The contact was asked to confirm; once you know who sent a reply: acctflow reply release ID, or acctflow reply discard ID."},
	{WaitingApproval, "Details received, waiting for approval", "ops",
		"acctflow request approve ID, or acctflow request reject ID --reason TEXT."},
	{WaitingCreation, "Waiting for the account to be created", "AWS, or ops",
		"With manual provisioning, create the account, then acctflow account record ID --account-id N."},
	{WaitingDetails, "Waiting for the reseller's details", "the reseller",
		"Reminders go out by themselves, and the request expires if the details never come."},
	{WaitingRole, "Waiting for the Role ARN", "the reseller; ops for a role that could not be checked",
		"A role_unverified request needs its role checked by hand."},
	{WaitingGroup, "Waiting for the support plan group", "ops",
		"acctflow account support-group ID --group passthrough or business-support."},
}

func (d DigestData) prepare(*tr) (string, any, error) {
	if !regionPattern.MatchString(d.Region) {
		return "", nil, fmt.Errorf("invalid region %q", oneLine(d.Region))
	}
	if d.Now.IsZero() {
		return "", nil, errors.New("digest without a time")
	}
	v := digestView{Region: d.Region, OpsTeam: oneLine(d.OpsTeam), Date: d.Now.Format("2 January 2006"), Total: len(d.Items)}
	used := make([]bool, len(d.Items))
	for _, s := range digestSections {
		sec := digestSection{Title: s.title, Who: s.who, Action: s.action}
		for i, it := range d.Items {
			if it.Waiting != s.waiting {
				continue
			}
			used[i] = true
			sec.Count++
			if len(sec.Lines) == maxDigestLines {
				sec.More++
				continue
			}
			sec.Lines = append(sec.Lines, d.line(it))
		}
		if len(sec.Lines) > 0 {
			v.Sections = append(v.Sections, sec)
		}
	}
	other := digestSection{Title: "Other open requests", Who: "ops", Action: "acctflow request show ID says where each stands."}
	for i, it := range d.Items {
		switch {
		case used[i]:
			continue
		case len(other.Lines) < maxDigestLines:
			other.Lines = append(other.Lines, d.line(it))
		default:
			other.More++
		}
		other.Count++
	}
	if len(other.Lines) > 0 {
		v.Sections = append(v.Sections, other)
	}
	what := "nothing waiting"
	switch {
	case v.Total == 1:
		what = "1 request waiting"
	case v.Total > 1:
		what = fmt.Sprintf("%d requests waiting", v.Total)
	}
	return fmt.Sprintf("[acctflow] Daily digest, %s: %s (%s)", d.Region, what, v.Date), v, nil
}

func (d DigestData) line(it DigestItem) digestLine {
	l := digestLine{RequestID: oneLine(it.RequestID), Customer: oneLine(it.Customer), Reseller: oneLine(it.Reseller)}
	if l.Customer == "" {
		l.Customer = "unknown customer"
	}
	if st := oneLine(it.Stage); st != "" {
		l.Notes = append(l.Notes, "stage "+st)
	}
	if !it.Since.IsZero() {
		l.Notes = append(l.Notes, "since "+it.Since.In(d.Now.Location()).Format("2 January 2006 15:04")+" ("+age(d.Now.Sub(it.Since))+")")
	}
	if it.Waiting == WaitingDetails || it.Reminders > 0 {
		switch it.Reminders {
		case 0:
			l.Notes = append(l.Notes, "no reminder sent yet")
		case 1:
			l.Notes = append(l.Notes, "1 reminder sent")
		default:
			l.Notes = append(l.Notes, fmt.Sprintf("%d reminders sent", it.Reminders))
		}
	}
	if it.Held > 0 {
		l.Notes = append(l.Notes, fmt.Sprintf("%d held %s", it.Held, plural(it.Held, "reply", "replies")))
	}
	if f := squash(it.Failure, 300); f != "" {
		l.Notes = append(l.Notes, "failed: "+f)
	}
	return l
}

// age says how long ago, roughly: 3 days, 5 hours, 12 minutes.
func age(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return "just now"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
