package provisioning

import (
	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/effect"
)

// Action is what to do with a job, given the ledger record of its request.
type Action int

const (
	Absorb Action = iota // nothing for this job: done, superseded, or another job's round
	Start                // call CreateAccount through the ledger (it knows claims, holds, doubts)
	Reopen               // start a new round over a finished one, then Start
	Poll                 // CreateAccount answered: ask AWS how the creation goes
	Finish               // the ledger gave up; publish the failure it left unannounced
	Alert                // parked unknown: make sure ops were told
	Refuse               // this approval cannot go on (the root email AWS refused, again)
)

func (a Action) String() string {
	return [...]string{"absorb", "start", "reopen", "poll", "finish", "alert", "refuse"}[a]
}

// Plan decides what a job does, a pure function of the record (e, and c,
// provisioning's state in it) and the job. A job of the record's round
// carries the creation; a later approval reopens only a creation AWS failed
// for want of another root email, and an ops retry (Retry n) only an
// unknown outcome or a creation that failed on our side, once (n = the
// record's round + 1).
func Plan(e effect.Entry, c Creation, j Job) Action {
	if e.Revision == 0 {
		return Start
	}
	if c.ApprovalID != j.ApprovalID {
		switch {
		case j.ApprovalSeq <= c.ApprovalSeq:
			return Absorb // an older approval, seen again
		case j.Retry > 0:
			// An unknown outcome, once ops found no account; or a creation
			// AWS failed on our side (its limit, …), once ops fixed that:
			// AWS made no account either way.
			again := e.State == effect.Unknown || c.Status == StatusFailed && !c.NewEmailNeeded
			if again && j.Retry == e.Round+1 {
				return Reopen
			}
			return Absorb
		case c.Status == StatusFailed && c.NewEmailNeeded:
			if j.Email == c.Email {
				return Refuse
			}
			return Reopen
		}
		return Absorb
	}
	switch e.State {
	case effect.Done:
		if c.Status == "" {
			return Poll
		}
		return Absorb
	case effect.Unknown:
		return Alert
	case effect.Dead:
		if c.Status == "" {
			return Finish
		}
		return Absorb
	}
	return Start // queued, pending, failed: the ledger decides
}

// rejection is what AWS would refuse before creating anything: a root
// email or account name it cannot take (checked again by the adapter).
func rejection(j Job) (reason, explanation string) {
	if err := aws.CheckEmail(j.Email); err != nil {
		return "INVALID_EMAIL", err.Error()
	}
	if j.AccountName == "" || aws.AccountName(j.AccountName) != j.AccountName {
		return "INVALID_ACCOUNT_NAME", "the account name " + j.AccountName + " cannot be used: AWS needs 1 to 50 characters of plain ASCII; please reply with another account nickname"
	}
	return "", ""
}
