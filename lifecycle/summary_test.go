package lifecycle_test

import (
	"strings"
	"testing"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// A request's line says what it waits for, and the words ops read in its
// row: a creation that failed on our side is a failure with AWS's reason;
// a partial reply says what is missing in words.
func TestSummarize(t *testing.T) {
	const at, later = "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z"
	limit := &events.AccountCreationFailed{RequestID: "REQ-1", FailureReason: "ACCOUNT_LIMIT_EXCEEDED",
		Explanation: "Our AWS organization has reached its limit on the number of accounts."}
	inUse := &events.AccountCreationFailed{RequestID: "REQ-1", FailureReason: "EMAIL_ALREADY_EXISTS", NewRootEmailNeeded: true}
	effect := []lifecycle.Failure{{Effect: "email", Error: "smtp 550 mailbox unavailable", At: later}}
	for _, c := range []struct {
		name    string
		rec     lifecycle.Record
		open    bool
		waiting lifecycle.Waiting
		failure string
		missing string
	}{
		{name: "details, no reply yet", rec: lifecycle.Record{Stage: lifecycle.StageAwaitingDetails},
			open: true, waiting: lifecycle.WaitingDetails},
		{name: "details, a partial reply", rec: lifecycle.Record{Stage: lifecycle.StageAwaitingDetails,
			Problems: []string{"nickname_unusable", "support_type_missing"}},
			open: true, waiting: lifecycle.WaitingDetails, missing: "nickname unusable, support type missing"},
		{name: "details, after AWS refused the root email", rec: lifecycle.Record{Stage: lifecycle.StageAwaitingDetails, Failure: inUse},
			open: true, waiting: lifecycle.WaitingDetails, missing: "a new root email (AWS refused the last: EMAIL_ALREADY_EXISTS)"},
		{name: "details in, problems gone", rec: lifecycle.Record{Stage: lifecycle.StageDetailsReceived},
			open: true, waiting: lifecycle.WaitingApproval},
		{name: "approved", rec: lifecycle.Record{Stage: lifecycle.StageApproved},
			open: true, waiting: lifecycle.WaitingCreation},
		{name: "creation failed on our side", rec: lifecycle.Record{Stage: lifecycle.StageCreationFailed, Failure: limit},
			open: true, waiting: lifecycle.WaitingFailure, failure: "account creation failed: ACCOUNT_LIMIT_EXCEEDED"},
		{name: "creation failed, no reason given", rec: lifecycle.Record{Stage: lifecycle.StageCreationFailed, Failure: &events.AccountCreationFailed{}},
			open: true, waiting: lifecycle.WaitingFailure, failure: "account creation failed"},
		{name: "creation failed, and its alert email too", rec: lifecycle.Record{Stage: lifecycle.StageCreationFailed, StageAt: at, Failure: limit, Failures: effect},
			open: true, waiting: lifecycle.WaitingFailure, failure: "account creation failed: ACCOUNT_LIMIT_EXCEEDED"},
		{name: "retried after the failure", rec: lifecycle.Record{Stage: lifecycle.StageApproved, Failure: limit},
			open: true, waiting: lifecycle.WaitingCreation},
		{name: "an effect failed", rec: lifecycle.Record{Stage: lifecycle.StageAwaitingDetails, StageAt: at, Failures: effect},
			open: true, waiting: lifecycle.WaitingFailure, failure: "smtp 550 mailbox unavailable"},
		{name: "rejected", rec: lifecycle.Record{Stage: lifecycle.StageRejected, Problems: []string{"support_type_missing"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.rec.RequestID, c.rec.Region = "REQ-1", "us"
			s, open := lifecycle.Summarize(c.rec)
			if open != c.open || s.Waiting != c.waiting || s.Failure != c.failure || s.Missing != c.missing {
				t.Fatalf("open %v, waiting %q, failure %q, missing %q; want %v, %q, %q, %q",
					open, s.Waiting, s.Failure, s.Missing, c.open, c.waiting, c.failure, c.missing)
			}
		})
	}
}

func TestProblemWords(t *testing.T) {
	for codes, want := range map[string]string{
		"support_type_missing":                    "support type missing",
		"root_email_is_contact,root_email_in_use": "root email is the contact's own address, root email already in use",
		"nickname_invalid,nickname_invalid":       "nickname invalid",
		"":                                        "",
	} {
		var list []string
		if codes != "" {
			list = strings.Split(codes, ",")
		}
		if got := lifecycle.ProblemWords(list); got != want {
			t.Errorf("%q: %q, want %q", codes, got, want)
		}
	}
}
