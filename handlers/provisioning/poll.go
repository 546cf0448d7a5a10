package provisioning

import (
	"context"
	"fmt"
	"time"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/retry"
)

// poll asks AWS once how a creation is doing and acts on a final state;
// otherwise it returns when to ask again.
func (d *Driver) poll(ctx context.Context, ent effect.Entry, c Creation, deliveries uint64) (time.Duration, error) {
	st, err := d.Orgs.Status(ctx, c.CarID)
	if err != nil && retry.IsPermanent(err) {
		return 0, d.park(ctx, ent, c, err.Error())
	}
	if err != nil || st.State == aws.StateInProgress {
		wait := d.PollPolicy.Delay(int(min(max(deliveries, 2)-1, 20)))
		if hint, ok := retry.RetryAfter(err); ok && hint > wait {
			wait = hint
		}
		if err != nil {
			d.Logger.Warn("polling account creation failed, will retry", "request_id", c.RequestID, "create_request_id", c.CarID, "err", err)
			return wait, nil
		}
		if !c.Alerted {
			// Measured on the server's clock: the record has not been
			// written since CreateAccount answered.
			now, err := d.Ledger.Now(ctx)
			if err == nil && now.Sub(ent.Written) > d.Deadline {
				pending := now.Sub(ent.Written)
				err := d.alert(ctx, c, ent.Round, "deadline", "account creation still in progress",
					fmt.Sprintf("The AWS account for request %s (creation request %s, account name %q) has been in progress for %s, longer than --aws-create-deadline %s. acctflow keeps polling; check AWS Organizations if it does not finish.",
						c.RequestID, c.CarID, c.AccountName, pending.Round(time.Second), d.Deadline))
				if err != nil {
					d.Logger.Warn("deadline alert not sent yet", "request_id", c.RequestID, "err", err)
					return wait, nil
				}
				c.Alerted = true
				if err := d.save(ctx, ent, ent.State, c); err != nil {
					return 0, err
				}
			}
		}
		return wait, nil
	}
	if st.State == aws.StateSucceeded {
		return 0, d.succeeded(ctx, ent, c, st.AccountID)
	}
	return 0, d.failed(ctx, ent, c, failure{reason: st.FailureReason})
}

// save writes provisioning's state into the record, in state s.
func (d *Driver) save(ctx context.Context, ent effect.Entry, s effect.State, c Creation) error {
	r := ent.Record
	r.State, r.Data = s, c.data()
	_, err := d.Ledger.Put(ctx, Key(c.RequestID), r, ent.Revision)
	return err
}
