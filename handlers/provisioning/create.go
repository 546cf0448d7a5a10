package provisioning

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/retry"
)

// start calls CreateAccount once through the ledger: claim, call, record
// the creation request id. It reports when to poll.
func (d *Driver) start(ctx context.Context, j Job, ent effect.Entry, working func()) (time.Duration, error) {
	c := Creation{Job: j}
	if ent.Revision > 0 {
		c = creationOf(ent)
	}
	if reason, text := rejection(c.Job); reason != "" {
		// Checked before sending: nothing reaches AWS.
		return 0, d.failed(ctx, ent, c, failure{reason: reason, explanation: text})
	}
	out, err := d.Ledger.Do(ctx, effect.Effect{
		Key: Key(j.RequestID), What: "CreateAccount for " + j.RequestID, Data: c.data(),
		Policy: effect.Policy{Lease: d.Lease, Budget: d.Budget, Backoff: d.Throttle, Park: true},
		Attempt: func(ctx context.Context, r effect.Record) ([]byte, error) {
			c := creationOf(effect.Entry{Record: r})
			working()
			// An interrupted call would leave us not knowing whether AWS
			// started a creation: let it finish (the adapter bounds it)
			// even at shutdown.
			car, err := d.Orgs.CreateAccount(context.WithoutCancel(ctx), aws.CreateInput{
				Email: c.Email, AccountName: c.AccountName, RoleName: d.RoleName, Tags: c.Tags,
			})
			if err != nil {
				return nil, err
			}
			return json.Marshal(car)
		},
		// No answer from AWS: it may have started the creation.
		Doubtful: func(err error) bool { return !answered(err) && !retry.IsPermanent(err) },
	})
	now := creationOf(out.Entry)
	switch {
	case err == nil && out.Parked:
		return 0, d.alertUnknown(ctx, now, out.Round, out.Error)
	case err == nil && now.ApprovalID != j.ApprovalID:
		return 0, nil // another job's round
	case err == nil:
		if out.Now {
			d.Logger.Info("account creation started", "request_id", j.RequestID, "create_request_id", now.CarID, "account_name", now.AccountName)
		}
		return d.PollPolicy.Delay(1), nil
	case retry.IsPermanent(err) && out.Revision > 0:
		// AWS (or the adapter, before sending) refused for good, or kept
		// refusing: a problem on the distributor's side that ops must fix.
		return 0, d.failed(ctx, out.Entry, now, refusal(now, err.Error()))
	}
	return 0, err
}

// answered reports whether AWS sent a service error, that is, whether the
// call is known to have been refused rather than lost on the way.
func answered(err error) bool {
	var coded interface{ ErrorCode() string }
	return errors.As(err, &coded)
}
