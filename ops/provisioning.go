package ops

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
)

// RetryRefused says a provisioning retry does not apply: the request's
// CreateAccount outcome is not unknown. The HTTP API answers 409.
type RetryRefused struct {
	RequestID string
	State     string // the CreateAccount record's state, "none" without one
	Reason    string
}

func (e *RetryRefused) Error() string {
	return fmt.Sprintf("request %s: %s; a provisioning retry is only for a CreateAccount whose outcome is unknown", e.RequestID, e.Reason)
}

// kvOpener is how the commands reach KV accounts: the JetStream context
// the Ops publish with opens buckets too.
type kvOpener interface {
	KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error)
}

// RetryProvisioning asks for a new CreateAccount for a request whose last
// one has an unknown outcome, once ops have looked in AWS Organizations and
// found no account (if they found one: RecordAccount). It publishes
// acct.approved with retry n, n the record's round + 1, under an id fixed
// by n: a repeated command is one event, and provisioning creates the
// account once more.
func (o *Ops) RetryProvisioning(ctx context.Context, id, by string) (events.AccountApproved, error) {
	rec, err := o.Show(ctx, id)
	if err != nil {
		return events.AccountApproved{}, err
	}
	kvs, ok := o.JS.(kvOpener)
	if !ok {
		return events.AccountApproved{}, fmt.Errorf("provisioning retry of %s: this client cannot read KV %s", id, broker.BucketAccounts)
	}
	kv, err := kvs.KeyValue(ctx, broker.BucketAccounts)
	if err != nil {
		return events.AccountApproved{}, fmt.Errorf("opening KV %s: %w", broker.BucketAccounts, err)
	}
	ent, err := effect.NewLedger(kv, "", nil).Read(ctx, effect.Key(events.EffectCreateAccount, id))
	if err != nil {
		return events.AccountApproved{}, err
	}
	if ent.State != effect.Unknown {
		return events.AccountApproved{}, refused(id, ent, rec.Account != nil)
	}
	n := ent.Round + 1
	e := events.AccountApproved{RequestID: id, ApprovedBy: strings.TrimSpace(by), Retry: n,
		Note: "provisioning retry " + strconv.Itoa(n), ApprovedAt: events.Time(o.Now())}
	return e, o.publish(ctx, e, "approved", id, "retry", strconv.Itoa(n))
}

func refused(id string, ent effect.Entry, hasAccount bool) *RetryRefused {
	r := &RetryRefused{RequestID: id, State: string(ent.State)}
	switch ent.State {
	case "":
		r.State, r.Reason = "none", "no CreateAccount was recorded for it (manual provisioning, or not approved yet)"
	case effect.Done:
		r.Reason = "AWS accepted its CreateAccount; the creation is under way or finished"
	case effect.Dead:
		r.Reason = "its CreateAccount was refused or given up (" + clip(ent.Error) + "); record an account made by hand with account record"
	default:
		r.Reason = "its CreateAccount is " + string(ent.State) + " and still handled by acctflow"
	}
	if hasAccount {
		r.Reason = "it already has an account"
	}
	return r
}
