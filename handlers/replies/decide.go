// Package replies understands the resellers' answers to the confirmation:
// acct.reply.received → acct.details.submitted | acct.details.incomplete (with
// one clarification email) | acct.reply.rejected, and acct.role.submitted when
// a reply after creation carries the Role ARN.
package replies

import (
	"slices"
	"strings"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/reply"
)

// ProblemRootInUse is added when another request already claimed the root
// email; ProblemRootIsContact when the reseller gave their own address.
const (
	ProblemRootInUse     = "root_email_in_use"
	ProblemRootIsContact = "root_email_is_contact"
)

// Verdict is what a reply leads to.
type Verdict int

const (
	Reject     Verdict = iota // acct.reply.rejected
	Submit                    // acct.details.submitted (after the root email is claimed)
	Incomplete                // acct.details.incomplete (+ clarification)
	Role                      // acct.role.submitted
)

// Decision is the outcome of Decide.
type Decision struct {
	Verdict  Verdict
	Reason   string // Reject
	Detail   string
	Problems []string // Incomplete
	Root     string   // valid root email to claim ("" if none)
	Clarify  bool     // Incomplete: the sender may be asked back
}

// Decide judges a matched reply against its request's record. It is pure:
// the root email's uniqueness is settled afterwards by the caller's claim.
func Decide(r reply.Reply, rec lifecycle.Record) Decision {
	if r.Bounce {
		return Decision{Verdict: Reject, Reason: events.ReplyBounce}
	}
	if r.AutoReply {
		return Decision{Verdict: Reject, Reason: events.ReplyAutoReply}
	}
	if !Authorised(r.Header.From, rec.Request) {
		return Decision{Verdict: Reject, Reason: events.ReplyUnauthorised, Detail: "sender is neither the primary contact nor an authorised sender"}
	}
	switch rec.Stage {
	case lifecycle.StageAwaitingDetails, lifecycle.StageRouted:
	case lifecycle.StageCreated:
		if r.RoleARN != "" {
			return Decision{Verdict: Role}
		}
		return Decision{Verdict: Reject, Reason: events.ReplyWrongStage, Detail: "request is at stage " + rec.Stage}
	default:
		return Decision{Verdict: Reject, Reason: events.ReplyWrongStage, Detail: "request is at stage " + clipStage(rec.Stage)}
	}
	problems := slices.Clone(r.Problems)
	root := ""
	if r.RootEmail != nil {
		root = strings.ToLower(*r.RootEmail)
		switch {
		case aws.CheckEmail(root) != nil:
			problems = appendOnce(problems, reply.ProblemRootInvalid)
			root = ""
		case isContact(root, r.Header.From, rec.Request):
			problems = appendOnce(problems, ProblemRootIsContact)
			root = ""
		}
	}
	complete := r.Complete && root != "" && r.Nickname != nil && *r.Nickname != "" && r.SupportType != nil
	if complete && len(problems) == 0 {
		return Decision{Verdict: Submit, Root: root}
	}
	if len(problems) == 0 {
		problems = []string{reply.ProblemUnreadable}
	}
	return Decision{Verdict: Incomplete, Problems: problems, Root: root, Clarify: true}
}

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

func clipStage(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}
