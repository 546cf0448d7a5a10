package provisioning

import (
	"encoding/json"
	"fmt"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// SubjectJobs prefixes the subject of a creation's job on the provisioning
// stream: provisioning.create.<events.KeyOf(request id)>.
const SubjectJobs = "provisioning.create"

// Job is one approved creation, as queued for the driver.
type Job struct {
	RequestID  string `json:"request_id"`
	ApprovalID string `json:"approval_id"` // the acct.approved event's id
	// ApprovalSeq is that event's stream sequence: of two approvals, the
	// later one decides.
	ApprovalSeq uint64            `json:"approval_seq"`
	Retry       int               `json:"retry,omitempty"` // an ops retry of an unknown outcome (acct.approved retry)
	Cause       events.Envelope   `json:"cause"`
	Email       string            `json:"email"`
	AccountName string            `json:"account_name"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// Creation is provisioning's state in the ledger record of a request's
// CreateAccount: the job of the current round and how AWS finished it.
type Creation struct {
	Job
	CarID          string `json:"car_id,omitempty"`
	Status         string `json:"status,omitempty"` // "" (not final), succeeded, failed
	AccountID      string `json:"account_id,omitempty"`
	FailureReason  string `json:"failure_reason,omitempty"`
	NewEmailNeeded bool   `json:"new_email_needed,omitempty"`
	Alerted        bool   `json:"alerted,omitempty"` // the deadline alert went out
}

// Final states of a creation.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Key is the ledger key of a request's CreateAccount in KV accounts.
func Key(requestID string) string { return effect.Key(events.EffectCreateAccount, requestID) }

func jobSubject(requestID string) string { return SubjectJobs + "." + events.KeyOf(requestID) }

// JobFor builds the job of an approved request from its projection: the
// root email and nickname from the details, tags naming the request,
// reseller and customer.
func JobFor(rec lifecycle.Record, ap events.AccountApproved, approval events.Envelope, seq uint64) (Job, error) {
	if rec.Details == nil || rec.Request == nil {
		// The projection may not have caught up yet: try again later.
		return Job{}, fmt.Errorf("approval of %s: the request's details are not projected (stage %s)", rec.RequestID, rec.Stage)
	}
	name := aws.AccountName(rec.Details.Nickname)
	if name == "" {
		name = aws.AccountName(rec.Request.Customer.Name)
	}
	return Job{
		RequestID: rec.RequestID, ApprovalID: approval.ID, ApprovalSeq: seq, Retry: ap.Retry, Cause: approval,
		Email: rec.Details.RootEmail, AccountName: name,
		Tags: map[string]string{
			"acctflow:request-id":  rec.RequestID,
			"acctflow:reseller-id": rec.Request.Reseller.ID,
			"acctflow:customer-id": rec.Request.Customer.ID,
		},
	}, nil
}

// creationOf reads provisioning's state from a ledger entry (zero when
// there is none).
func creationOf(e effect.Entry) Creation {
	var c Creation
	if len(e.Data) > 0 {
		_ = json.Unmarshal(e.Data, &c)
	}
	if c.CarID == "" && len(e.Result) > 0 {
		_ = json.Unmarshal(e.Result, &c.CarID)
	}
	return c
}

func (c Creation) data() json.RawMessage {
	data, _ := json.Marshal(c) // plain strings, ints and maps: cannot fail
	return data
}
