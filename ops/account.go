package ops

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// ErrInvalid marks a command argument no stage could accept (a malformed
// account id, an unknown group); the HTTP API answers 400.
var ErrInvalid = errors.New("invalid argument")

// ErrBusy marks a command that would contradict something under way (an
// account recorded while AWS creates one); the HTTP API answers 409.
var ErrBusy = errors.New("not now")

const maxText = 2000

// Approve lets a request with its details in go on to account creation.
// The message id covers the details submission approved, so a retried
// command is one event while an approval after new details is another.
func (o *Ops) Approve(ctx context.Context, id, by, note string) (events.AccountApproved, error) {
	rec, err := o.atStage(ctx, id, lifecycle.StageDetailsReceived)
	if err != nil {
		return events.AccountApproved{}, err
	}
	e := events.AccountApproved{RequestID: id, ApprovedBy: strings.TrimSpace(by), Note: strings.TrimSpace(note), ApprovedAt: events.Time(o.Now())}
	return e, o.publish(ctx, e, "approved", id, seq(rec))
}

// Reject ends a request at ops' decision (waiting for or holding its details,
// as the transition table allows); the rejection handler mails the
// reseller the reason.
func (o *Ops) Reject(ctx context.Context, id, reason string) (events.RequestRejected, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > maxText {
		return events.RequestRejected{}, fmt.Errorf("%w: a rejection needs a reason of 1 to %d characters", ErrInvalid, maxText)
	}
	rec, err := o.atStage(ctx, id, lifecycle.StageDetailsReceived, lifecycle.StageAwaitingDetails)
	if err != nil {
		return events.RequestRejected{}, err
	}
	e := events.RequestRejected{
		RequestID: id, Reasons: []string{events.ReasonOpsRejected}, Detail: reason,
		RejectedBy: "ops", RejectedAt: events.Time(o.Now()), Request: rec.Request,
	}
	return e, o.publish(ctx, e, "rejected", id, "ops", seq(rec))
}

// RecordAccount records an account ops created by hand (manual provisioning,
// or after a creation failed on the distributor's side).
func (o *Ops) RecordAccount(ctx context.Context, id, accountID string) (events.AccountCreated, error) {
	accountID = strings.TrimSpace(accountID)
	if !isAccountID(accountID) {
		return events.AccountCreated{}, fmt.Errorf("%w: account id %q must be 12 digits", ErrInvalid, clip(accountID))
	}
	rec, err := o.atStage(ctx, id, lifecycle.StageApproved, lifecycle.StageCreationFailed)
	if err != nil {
		return events.AccountCreated{}, err
	}
	if rec.Stage == lifecycle.StageApproved {
		// With --provisioner organizations, only an unknown outcome is
		// ops' to settle: while AWS creates the account, one recorded by
		// hand would leave AWS's orphaned.
		ent, err := o.creation(ctx, id)
		if err != nil {
			return events.AccountCreated{}, err
		}
		if ent.Revision != 0 && ent.State != effect.Unknown {
			return events.AccountCreated{}, fmt.Errorf("%w: acctflow is creating the account of %s in AWS (CreateAccount %s); an account made by hand is recorded only when that outcome is unknown or the creation failed", ErrBusy, id, ent.State)
		}
	}
	e := events.AccountCreated{RequestID: id, AccountID: accountID, Method: events.MethodManual, CreatedAt: events.Time(o.Now())}
	if rec.Details != nil {
		e.AccountName = aws.AccountName(rec.Details.Nickname)
	}
	return e, o.publish(ctx, e, "created", id, events.MethodManual, accountID)
}

// SubmitRole hands a Role ARN to validation. What needs no AWS call (the
// format, the account) is checked here first: an operator's typo is an
// error, not a rejection mailed to the reseller. A reseller's reply goes
// to validation as it came, and gets its rejection email there.
func (o *Ops) SubmitRole(ctx context.Context, id, arn, by string) (events.RoleSubmitted, error) {
	arn = strings.TrimSpace(arn)
	if arn == "" {
		return events.RoleSubmitted{}, fmt.Errorf("%w: empty role ARN", ErrInvalid)
	}
	rec, err := o.atStage(ctx, id, lifecycle.StageCreated, lifecycle.StageRoleUnverified, lifecycle.StageRoleValidated)
	if err != nil {
		return events.RoleSubmitted{}, err
	}
	// What needs no AWS call is checked here: an operator's typo is
	// refused at once, not mailed to the reseller as their rejected role.
	role, err := aws.ParseRoleARN(arn)
	if err == nil && rec.Account != nil {
		err = role.CheckAccount(rec.Account.AccountID)
	}
	var rej *aws.RejectedError
	if errors.As(err, &rej) {
		return events.RoleSubmitted{}, fmt.Errorf("%w: %s", ErrInvalid, rej.Reason)
	}
	e := events.RoleSubmitted{RequestID: id, RoleARN: arn, SubmittedBy: strings.TrimSpace(by), SubmittedAt: events.Time(o.Now())}
	return e, o.publish(ctx, e, "role", id, arn)
}

// AssignSupportGroup records the billing support plan group of the account.
func (o *Ops) AssignSupportGroup(ctx context.Context, id, group string) (events.SupportGroupAssigned, error) {
	group = strings.TrimSpace(group)
	if group != events.GroupPassthrough && group != events.GroupBusinessSupport {
		return events.SupportGroupAssigned{}, fmt.Errorf("%w: group %q must be %s or %s", ErrInvalid, clip(group), events.GroupPassthrough, events.GroupBusinessSupport)
	}
	rec, err := o.atStage(ctx, id, lifecycle.StageCreated, lifecycle.StageRoleUnverified, lifecycle.StageRoleValidated)
	if err != nil {
		return events.SupportGroupAssigned{}, err
	}
	e := events.SupportGroupAssigned{RequestID: id, Group: group, AssignedBy: o.Source, AssignedAt: events.Time(o.Now())}
	if rec.Account != nil {
		e.AccountID = rec.Account.AccountID
	}
	// Re-assigning the same group after a support change is a new fact.
	return e, o.publish(ctx, e, "support-group", id, group, strconv.Itoa(len(rec.SupportChanges)))
}

func (o *Ops) publish(ctx context.Context, e events.Event, parts ...string) error {
	if _, err := events.Publish(ctx, o.JS, e, events.DerivedID(parts...), o.Source, events.Envelope{}); err != nil {
		return fmt.Errorf("publishing %s: %w", e.Subject(), err)
	}
	return nil
}

// seq names the stage a decision was taken at.
func seq(rec lifecycle.Record) string { return strconv.FormatUint(rec.StageSeq, 10) }

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
