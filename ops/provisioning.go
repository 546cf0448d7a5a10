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
	"github.com/acctflow/acctflow/lifecycle"
)

// RetryRefused says a provisioning retry does not apply: the request's
// CreateAccount outcome is neither unknown nor a failure on our side. The
// HTTP API answers 409.
type RetryRefused struct {
	RequestID string
	State     string // the CreateAccount record's state, "none" without one
	Reason    string
}

func (e *RetryRefused) Error() string {
	return fmt.Sprintf("request %s: %s; a provisioning retry is only for a CreateAccount whose outcome is unknown, or a creation that failed on our side", e.RequestID, e.Reason)
}

// kvOpener is how the commands reach KV accounts: the JetStream context
// the Ops publish with opens buckets too.
type kvOpener interface {
	KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error)
}

// RetryProvisioning asks for a new CreateAccount for a request whose last
// one has an unknown outcome, once ops have looked in AWS Organizations and
// found no account (if they found one: RecordAccount), or whose creation
// failed on our side (creation_failed: an account limit, a refused call),
// once ops have fixed the cause. It publishes
// acct.approved with retry n, n the record's round + 1, under an id fixed
// by n: a repeated command is one event, and provisioning creates the
// account once more.
func (o *Ops) RetryProvisioning(ctx context.Context, id, by string) (events.AccountApproved, error) {
	rec, err := o.Show(ctx, id)
	if err != nil {
		return events.AccountApproved{}, err
	}
	ent, err := o.creation(ctx, id)
	if err != nil {
		return events.AccountApproved{}, err
	}
	failed := rec.Stage == lifecycle.StageCreationFailed && (ent.State == effect.Done || ent.State == effect.Dead)
	if ent.State != effect.Unknown && !failed {
		return events.AccountApproved{}, refused(id, ent, rec)
	}
	n := ent.Round + 1
	e := events.AccountApproved{RequestID: id, ApprovedBy: strings.TrimSpace(by), Retry: n,
		Note: "provisioning retry " + strconv.Itoa(n), ApprovedAt: events.Time(o.Now())}
	return e, o.publish(ctx, e, "approved", id, "retry", strconv.Itoa(n))
}

// creation reads the ledger record of the request's CreateAccount
// (revision 0: none).
func (o *Ops) creation(ctx context.Context, id string) (effect.Entry, error) {
	kvs, ok := o.JS.(kvOpener)
	if !ok {
		return effect.Entry{}, fmt.Errorf("reading the account creation of %s: this client cannot read KV %s", id, broker.BucketAccounts)
	}
	kv, err := kvs.KeyValue(ctx, broker.BucketAccounts)
	if err != nil {
		return effect.Entry{}, fmt.Errorf("opening KV %s: %w", broker.BucketAccounts, err)
	}
	return effect.NewLedger(kv, "", nil).Read(ctx, effect.Key(events.EffectCreateAccount, id))
}

func refused(id string, ent effect.Entry, rec lifecycle.Record) *RetryRefused {
	r := &RetryRefused{RequestID: id, State: string(ent.State)}
	switch {
	case rec.Account != nil:
		r.Reason = "it already has an account"
	case ent.State == "":
		r.State, r.Reason = "none", "no CreateAccount was recorded for it (manual provisioning, or not approved yet)"
	case ent.State == effect.Done && rec.Stage == lifecycle.StageApproved:
		r.Reason = "AWS accepted its CreateAccount and is creating the account; its outcome will follow"
	case ent.State == effect.Done || ent.State == effect.Dead:
		r.Reason = "its creation ended and the request is at stage " + string(rec.Stage)
	default:
		r.Reason = "its CreateAccount is " + string(ent.State) + " and still handled by acctflow"
	}
	return r
}
