package provisioning

import (
	"context"
	"errors"
	"fmt"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/retry"
)

// start claims a queued creation and calls CreateAccount. The claim (state
// creating, owned by us) is stored before the call and the car- id right
// after it, so that no later attempt ever calls CreateAccount twice for one
// approval. It reports whether a creation is now in progress.
func (d *Driver) start(ctx context.Context, c Creation, rev uint64) (bool, error) {
	c.State, c.StartedAt = StateCreating, d.now()
	if err := d.save(ctx, &c, &rev); conflict(err) {
		return false, nil // another driver claimed it
	} else if err != nil {
		return false, err
	}
	// An interrupted call would leave us not knowing whether AWS started
	// a creation: let it finish (the adapter bounds it) even at shutdown.
	ctx = context.WithoutCancel(ctx)
	car, err := d.Orgs.CreateAccount(ctx, aws.CreateInput{
		Email: c.Email, AccountName: c.AccountName, RoleName: d.RoleName, Tags: c.Tags,
	})
	if err == nil {
		c.State, c.CarID, c.Error = StatePolling, car, ""
		if err := d.save(ctx, &c, &rev); err != nil {
			// The next scan finds the claim without an id and marks it
			// unknown for ops, with car in the log.
			return true, fmt.Errorf("storing creation request id %s of %s: %w", car, c.RequestID, err)
		}
		d.nextPoll[c.RequestID], d.polls[c.RequestID] = d.now().Add(d.PollPolicy.Delay(1)), 1
		d.Logger.Info("account creation started", "request_id", c.RequestID, "create_request_id", car, "account_name", c.AccountName)
		return true, nil
	}
	var rej *aws.RejectedError
	switch {
	case errors.As(err, &rej):
		// Checked before sending: nothing reached AWS.
		reason := "INVALID_ACCOUNT_NAME"
		if rej.Code == aws.RejectInvalidEmail {
			reason = "INVALID_EMAIL"
		}
		return false, d.failed(ctx, c, rev, reason, rej.Reason)
	case answered(err) && !retry.IsPermanent(err):
		// AWS refused for now (throttling, concurrent modification):
		// nothing was created, so the creation goes back in the queue.
		c.Attempts++
		wait := d.Throttle.Delay(c.Attempts)
		if hint, ok := retry.RetryAfter(err); ok && hint > wait {
			wait = hint
		}
		c.State, c.NotBefore, c.Error = StateQueued, d.now().Add(wait), err.Error()
		d.Logger.Warn("CreateAccount refused for now, will retry", "request_id", c.RequestID, "attempt", c.Attempts, "wait", wait, "err", err)
		if err := d.save(ctx, &c, &rev); err != nil && !conflict(err) {
			return false, err
		}
		return false, nil
	case answered(err) || retry.IsPermanent(err):
		// AWS (or the adapter, before sending) refused for good: a
		// problem on the distributor's side that ops must fix.
		c.Error = err.Error()
		return false, d.failed(ctx, c, rev, "REQUEST_REFUSED", "")
	default:
		return false, d.unknown(ctx, c, rev, err.Error())
	}
}

// answered reports whether AWS sent a service error, that is, whether the
// call is known to have been refused rather than lost on the way.
func answered(err error) bool {
	var coded interface{ ErrorCode() string }
	return errors.As(err, &coded)
}
