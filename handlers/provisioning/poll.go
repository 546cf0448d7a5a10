package provisioning

import (
	"context"
	"fmt"
	"time"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/retry"
)

// poll asks AWS once how a creation is doing, when it is due, and acts on a
// final state. Temporary errors only push the next poll back.
func (d *Driver) poll(ctx context.Context, c Creation, rev uint64) error {
	id := c.RequestID
	if next, ok := d.nextPoll[id]; ok && d.now().Before(next) {
		return nil
	}
	st, err := d.Orgs.Status(ctx, c.CarID)
	if err != nil && retry.IsPermanent(err) {
		return d.unknown(ctx, c, rev, err.Error())
	}
	if err != nil || st.State == aws.StateInProgress {
		d.polls[id]++
		wait := d.PollPolicy.Delay(d.polls[id])
		if hint, ok := retry.RetryAfter(err); ok && hint > wait {
			wait = hint
		}
		d.nextPoll[id] = d.now().Add(wait)
		if err != nil {
			d.Logger.Warn("polling account creation failed, will retry", "request_id", id, "create_request_id", c.CarID, "err", err)
		}
		if pending := d.now().Sub(c.StartedAt); err == nil && pending > d.Deadline && !c.Alerted {
			d.alert(ctx, c, "deadline", "account creation still in progress",
				fmt.Sprintf("The AWS account for request %s (creation request %s, account name %q) has been in progress for %s, longer than --aws-create-deadline %s. acctflow keeps polling; check AWS Organizations if it does not finish.",
					id, c.CarID, c.AccountName, pending.Round(time.Second), d.Deadline))
			c.Alerted = true
		}
		// Saving also renews our heartbeat, so no other driver takes over.
		if err := d.save(ctx, &c, &rev); err != nil && !conflict(err) {
			return err
		}
		return nil
	}
	d.forget(id)
	if st.State == aws.StateSucceeded {
		return d.succeeded(ctx, c, rev, st.AccountID)
	}
	return d.failed(ctx, c, rev, st.FailureReason, "")
}

func (d *Driver) forget(id string) {
	delete(d.nextPoll, id)
	delete(d.polls, id)
}

// unknown parks a creation whose CreateAccount may or may not have reached
// AWS: calling again could create a second account, so ops decide.
func (d *Driver) unknown(ctx context.Context, c Creation, rev uint64, why string) error {
	d.forget(c.RequestID)
	d.alert(ctx, c, "unknown", "account creation needs a look",
		fmt.Sprintf("acctflow cannot tell whether AWS created the account for request %s (root email %s, account name %q, creation request %q): %s\n"+
			"Look in AWS Organizations (accounts, or ListCreateAccountStatus). If the account exists, record it with `acctflow account record %s --account-id N`. acctflow will not call CreateAccount for this approval again.",
			c.RequestID, c.Email, c.AccountName, c.CarID, why, c.RequestID))
	c.State, c.Error = StateUnknown, why
	if err := d.save(ctx, &c, &rev); err != nil && !conflict(err) {
		return err
	}
	d.Logger.Error("account creation outcome unknown; ops alerted", "request_id", c.RequestID, "reason", why)
	return nil
}
