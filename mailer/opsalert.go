package mailer

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Kinds of the ops alerts about one request.
const (
	KindFailureAlert = "failure_alert"
	KindRoleAlert    = "role_alert"
)

// Outcomes of a failed effect (the values of events.EffectFailed.Outcome).
const (
	OutcomeDeadLettered = "dead_lettered"
	OutcomeBlocked      = "blocked"
)

// FailureAlertData tells ops that an effect of a request (an email, a
// ticket, CreateAccount, a role check) was dead-lettered or is blocked:
// what failed, for which request, the server's words and what to do.
type FailureAlertData struct {
	RequestID string // or, for a support change without a request, ChangeID
	ChangeID  string
	Effect    string // email, ticket, create_account, role_check
	What      string // which one, e.g. the email's kind: confirmation
	Outcome   string // OutcomeDeadLettered or OutcomeBlocked
	Handler   string
	Input     string // the subject of the event whose effect failed
	Error     string // the server's words
	DLQSeq    uint64 // the dead letter, when known
	FailedAt  time.Time
}

// Kind implements Data.
func (FailureAlertData) Kind() string { return KindFailureAlert }

type failureAlertView struct {
	About, Ref, Effect, What, Handler, Input, At string
	Show                                         string // the request to show, if any
	Error                                        string
	DeadLettered                                 bool
	DLQSeq                                       string
}

func (d FailureAlertData) prepare(*tr) (string, any, error) {
	v := failureAlertView{Effect: effectLabel(d.Effect), What: oneLine(d.What), Handler: oneLine(d.Handler),
		Input: oneLine(d.Input), Error: squash(d.Error, maxReasonRunes)}
	switch {
	case d.RequestID != "":
		if !requestIDPattern.MatchString(d.RequestID) {
			return "", nil, errors.New("invalid request id")
		}
		v.About, v.Ref, v.Show = "request "+d.RequestID, d.RequestID, d.RequestID
	case d.ChangeID != "":
		if !requestIDPattern.MatchString(d.ChangeID) {
			return "", nil, errors.New("invalid change id")
		}
		v.About, v.Ref = "support change "+d.ChangeID, d.ChangeID
	default:
		return "", nil, errors.New("failure alert about no request and no change")
	}
	if v.Effect == "" {
		return "", nil, fmt.Errorf("unknown effect %q", oneLine(d.Effect))
	}
	switch d.Outcome {
	case OutcomeDeadLettered:
		v.DeadLettered = true
	case OutcomeBlocked:
	default:
		return "", nil, fmt.Errorf("unknown outcome %q", oneLine(d.Outcome))
	}
	if v.Error == "" {
		v.Error = "(no error text)"
	}
	if d.DLQSeq > 0 {
		v.DLQSeq = strconv.FormatUint(d.DLQSeq, 10)
	}
	if !d.FailedAt.IsZero() {
		v.At = d.FailedAt.UTC().Format(time.RFC3339)
	}
	what := v.Effect
	if v.What != "" {
		what = v.What + " " + what
	}
	outcome := "failed"
	if !v.DeadLettered {
		outcome = "blocked"
	}
	return fmt.Sprintf("[acctflow] %s %s [%s]", what, outcome, v.Ref), v, nil
}

func effectLabel(e string) string {
	switch e {
	case "email":
		return "email"
	case "ticket":
		return "support ticket"
	case "create_account":
		return "account creation (CreateAccount)"
	case "role_check":
		return "Role ARN check"
	}
	return ""
}

// RoleAlertData tells ops that a Role ARN could not be checked because no
// AWS access is configured: someone must check it by hand.
type RoleAlertData struct {
	RequestID            string
	RoleARN              string
	AccountID            string // the request's account, when known
	DistributorAccountID string // the account the role must trust, when configured
	Reason               string
	At                   time.Time
}

// Kind implements Data.
func (RoleAlertData) Kind() string { return KindRoleAlert }

type roleAlertView struct {
	RequestID, RoleARN, AccountID, Distributor, Reason, At string
}

func (d RoleAlertData) prepare(*tr) (string, any, error) {
	if !requestIDPattern.MatchString(d.RequestID) {
		return "", nil, errors.New("invalid request id")
	}
	v := roleAlertView{RequestID: d.RequestID, RoleARN: oneLine(d.RoleARN), Reason: squash(d.Reason, maxReasonRunes)}
	if v.RoleARN == "" {
		return "", nil, errors.New("role alert without a Role ARN")
	}
	if d.AccountID != "" {
		if err := checkAccountID("account", d.AccountID); err != nil {
			return "", nil, err
		}
		v.AccountID = d.AccountID
	}
	if d.DistributorAccountID != "" {
		if err := checkAccountID("distributor account", d.DistributorAccountID); err != nil {
			return "", nil, err
		}
		v.Distributor = d.DistributorAccountID
	}
	if !d.At.IsZero() {
		v.At = d.At.UTC().Format(time.RFC3339)
	}
	return "[acctflow] Role ARN not verified, check it by hand [" + d.RequestID + "]", v, nil
}
