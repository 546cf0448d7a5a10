// Package replies understands the resellers' answers: acct.reply.received →
// acct.details.submitted | acct.details.incomplete (with one clarification
// email) | acct.reply.held (with one confirm-by-reply email) |
// acct.reply.rejected, and acct.role.submitted when a reply after creation
// carries the Role ARN. Details accumulate over replies: each accepted reply
// fills or corrects fields until all three are known and valid.
package replies

import (
	"slices"
	"strings"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/reply"
)

// Problems added here to the parser's.
const (
	ProblemRootInUse        = "root_email_in_use"     // another request holds the root email
	ProblemRootIsContact    = "root_email_is_contact" // the reseller gave their own address
	ProblemNicknameUnusable = "nickname_unusable"     // nothing of it is left for an AWS account name
)

// Verdict is what a reply leads to.
type Verdict int

const (
	Reject     Verdict = iota // acct.reply.rejected
	Submit                    // acct.details.submitted (after the root email is claimed)
	Incomplete                // acct.details.incomplete (+ clarification)
	Role                      // acct.role.submitted
	Unchanged                 // a reply at details_received that changes nothing
)

// Answer is what a reply says, whatever its shape: read from a message, or
// from a held reply's record.
type Answer struct {
	From        string
	RootEmail   *string
	Nickname    *string
	SupportType *string
	RoleARN     string
	Problems    []string // the parser's
	AutoReply   bool
	Bounce      bool
}

// says reports whether the answer gives any detail of its own.
func (a Answer) says() bool {
	return a.RootEmail != nil || a.Nickname != nil || a.SupportType != nil || a.RoleARN != ""
}

func answerOf(r reply.Reply) Answer {
	return Answer{From: r.Header.From, RootEmail: r.RootEmail, Nickname: r.Nickname, SupportType: r.SupportType,
		RoleARN: r.RoleARN, Problems: r.Problems, AutoReply: r.AutoReply, Bounce: r.Bounce}
}

// over returns a with b's fields laid over it (b answers later).
func (a Answer) over(b Answer) Answer {
	if b.RootEmail != nil {
		a.RootEmail = b.RootEmail
	}
	if b.Nickname != nil {
		a.Nickname = b.Nickname
	}
	if b.SupportType != nil {
		a.SupportType = b.SupportType
	}
	if b.RoleARN != "" {
		a.RoleARN = b.RoleARN
	}
	a.Problems = append(slices.Clone(a.Problems), b.Problems...)
	return a
}

// hasDetails reports whether the answer says anything about the details.
func (a Answer) hasDetails() bool {
	return a.RootEmail != nil || a.Nickname != nil || a.SupportType != nil || slices.ContainsFunc(a.Problems, isValueProblem)
}

// Decision is the outcome of Decide.
type Decision struct {
	Verdict  Verdict
	Reason   string // Reject
	Detail   string
	Problems []string        // Incomplete
	Known    lifecycle.Known // what is known after this reply
	Refused  lifecycle.Known // values this reply gave that were refused, to name them back
	Clarify  bool            // Incomplete: the sender may be asked back
}

// Decide judges an answer against its request's record. It is pure: the
// root email's uniqueness is settled afterwards by the caller's claim, and
// whether the sender is proven by the caller's match.
func Decide(a Answer, rec lifecycle.Record) Decision {
	switch {
	case a.Bounce:
		return Decision{Verdict: Reject, Reason: events.ReplyBounce}
	case a.AutoReply:
		return Decision{Verdict: Reject, Reason: events.ReplyAutoReply}
	case !Authorised(a.From, rec.Request):
		return Decision{Verdict: Reject, Reason: events.ReplyUnauthorised, Detail: "sender is neither the primary contact nor an authorised sender"}
	}
	switch rec.Stage {
	case lifecycle.StageAwaitingDetails, lifecycle.StageRouted:
		return details(a, rec, rec.Known)
	case lifecycle.StageDetailsReceived:
		if !a.hasDetails() {
			return wrongStage(rec)
		}
		d := details(a, rec, rec.Known)
		if d.Verdict == Submit && rec.Details != nil && d.Known == (lifecycle.Known{RootEmail: rec.Details.RootEmail, Nickname: rec.Details.Nickname, SupportType: rec.Details.SupportType}) {
			return Decision{Verdict: Unchanged, Known: d.Known}
		}
		return d
	case lifecycle.StageCreated, lifecycle.StageRoleUnverified, lifecycle.StageRoleValidated:
		if a.RoleARN != "" {
			return Decision{Verdict: Role}
		}
	}
	return wrongStage(rec)
}

func wrongStage(rec lifecycle.Record) Decision {
	return Decision{Verdict: Reject, Reason: events.ReplyWrongStage, Detail: "request is at stage " + clip(string(rec.Stage), 40)}
}

// details merges the answer into what is known: a valid value fills or
// corrects its field; a value that is invalid is reported and changes
// nothing; a field the answer leaves out keeps what an earlier reply said.
func details(a Answer, rec lifecycle.Record, known lifecycle.Known) Decision {
	var problems []string
	var refused lifecycle.Known
	if a.RootEmail != nil {
		root := strings.ToLower(strings.TrimSpace(*a.RootEmail))
		switch {
		case aws.CheckEmail(root) != nil:
			problems, refused.RootEmail = append(problems, reply.ProblemRootInvalid), root
		case isContact(root, a.From, rec.Request):
			problems, refused.RootEmail = append(problems, ProblemRootIsContact), root
		default:
			known.RootEmail = root
		}
	}
	if a.Nickname != nil {
		nick := strings.TrimSpace(*a.Nickname)
		switch {
		case nick == "":
		case aws.AccountName(nick) == "":
			problems, refused.Nickname = append(problems, ProblemNicknameUnusable), nick
		default:
			known.Nickname = nick
		}
	}
	if a.SupportType != nil && events.ValidSupportType(*a.SupportType) {
		known.SupportType = *a.SupportType
	}
	// The parser's value problems (ambiguous, unrecognised, …) stand; its
	// "missing" ones only where nothing is known yet.
	for _, p := range a.Problems {
		if isValueProblem(p) && !fieldGiven(a, p) {
			problems = appendOnce(problems, p)
		}
	}
	for _, f := range [...]struct{ value, missing string }{{known.RootEmail, reply.ProblemRootMissing},
		{known.Nickname, reply.ProblemNicknameMissing}, {known.SupportType, reply.ProblemSupportMissing}} {
		if f.value == "" && !slices.ContainsFunc(problems, func(q string) bool { return sameField(q, f.missing) }) {
			problems = append(problems, f.missing)
		}
	}
	slices.Sort(problems)
	if len(problems) == 0 {
		return Decision{Verdict: Submit, Known: known}
	}
	return Decision{Verdict: Incomplete, Problems: problems, Known: known, Refused: refused, Clarify: true}
}

// isValueProblem: a problem with a value the reseller gave, as opposed to a
// field left out or a message that could not be read.
func isValueProblem(p string) bool {
	return fieldOf(p) != "" && !strings.HasSuffix(p, "_missing")
}

// fieldGiven: the answer has a valid value for the field a parser problem
// is about (the parser may report both, e.g. an ambiguity it resolved).
func fieldGiven(a Answer, p string) bool {
	switch fieldOf(p) {
	case "root_email":
		return a.RootEmail != nil && aws.CheckEmail(strings.ToLower(*a.RootEmail)) == nil
	case "nickname":
		return a.Nickname != nil && aws.AccountName(*a.Nickname) != ""
	case "support_type":
		return a.SupportType != nil && events.ValidSupportType(*a.SupportType)
	}
	return false
}

func fieldOf(p string) string {
	for _, f := range []string{"root_email", "nickname", "support_type"} {
		if strings.HasPrefix(p, f+"_") {
			return f
		}
	}
	return ""
}

func sameField(a, b string) bool { return fieldOf(a) != "" && fieldOf(a) == fieldOf(b) }

// Authorised reports whether from may speak for the request: its primary
// contact or an address the reseller authorised, compared case-insensitively.
func Authorised(from string, req *events.AccountRequested) bool {
	if from == "" || req == nil {
		return false
	}
	if strings.EqualFold(from, req.Reseller.PrimaryContact.Email) {
		return true
	}
	for _, a := range req.Reseller.AuthorisedSenders {
		if strings.EqualFold(from, strings.TrimSpace(a)) {
			return true
		}
	}
	return false
}

// isContact: the root mailbox must be a new one, not the person writing.
func isContact(root, from string, req *events.AccountRequested) bool {
	if strings.EqualFold(root, from) {
		return true
	}
	return req != nil && strings.EqualFold(root, req.Reseller.PrimaryContact.Email)
}

func appendOnce(ps []string, p string) []string {
	if slices.Contains(ps, p) {
		return ps
	}
	return append(ps, p)
}
