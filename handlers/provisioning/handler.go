package provisioning

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/retry"
)

// Name is the handler's name in --handlers and its consumer's durable name.
const Name = "provisioning"

// Declaration is what provisioning touches in NATS: the handler queues a
// job per approval on the provisioning stream, its driver takes them.
var Declaration = broker.Declaration{
	Name:    Name,
	Inputs:  []string{events.SubjectApproved},
	Outputs: []string{events.SubjectCreated, events.SubjectCreationFailed, SubjectJobs + ".>"},
	Writes:  []string{broker.BucketAccounts, broker.BucketMailSent},
	Consumers: []broker.ConsumerSpec{{
		Name: DriverConsumer, Stream: broker.StreamProvisioning, Subjects: []string{SubjectJobs + ".>"},
		AckWait: 30 * time.Second, MaxInFlight: DefaultMaxConcurrent,
	}},
	Effect: events.EffectCreateAccount,
}

// Requests is the projection lookup provisioning needs.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Handler queues an account creation for each approval that starts one. It
// only reads the ledger and publishes the job; the Driver makes the AWS
// calls, so that no event is held while AWS takes minutes.
type Handler struct {
	JS       events.Publisher
	Ledger   *effect.Ledger // over KV accounts; read only here
	Requests Requests
	Logger   *slog.Logger
}

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

// Manual is the handler run with --provisioner manual: ops record accounts
// by hand, so approvals need nothing here.
func Manual() broker.Handler {
	return Declaration.Handler(func(context.Context, broker.Msg) error { return nil })
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	var ap events.AccountApproved
	if err := events.Unmarshal("account-approved", m.Data, &ap); err != nil {
		return retry.Permanent(fmt.Errorf("invalid AccountApproved: %w", err))
	}
	rec, err := h.Requests.Get(ctx, ap.RequestID)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return fmt.Errorf("approval of %s before its request is projected: %w", ap.RequestID, err)
	}
	if err != nil {
		return err
	}
	if rec.Account != nil {
		h.Logger.Info("account already exists, approval absorbed", "request_id", ap.RequestID, "account_id", rec.Account.AccountID)
		return nil
	}
	job, err := JobFor(rec, ap, m.Env, m.StreamSeq)
	if err != nil {
		return err
	}
	ent, err := h.Ledger.Read(ctx, Key(ap.RequestID))
	if err != nil {
		return err
	}
	c := creationOf(ent)
	switch a := Plan(ent, c, job); {
	case a == Refuse:
		return retry.Permanent(fmt.Errorf("approval of %s: root email %s already failed (%s); new details are needed first",
			ap.RequestID, c.Email, c.FailureReason))
	case a == Reopen, a == Start && ent.Revision == 0:
		if err := h.queue(ctx, job); err != nil {
			return err
		}
		h.Logger.Info("account creation queued", "request_id", ap.RequestID, "account_name", job.AccountName, "retry", job.Retry)
	default:
		// A redelivered approval, or one that arrived while a creation is
		// under way or done: never a second CreateAccount.
		h.Logger.Info("approval absorbed", "request_id", ap.RequestID, "state", ent.State, "status", c.Status, "plan", a)
	}
	return nil
}

// queue publishes the job, one message per approval however often the
// approval is delivered.
func (h *Handler) queue(ctx context.Context, j Job) error {
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	msg := &nats.Msg{Subject: jobSubject(j.RequestID), Data: data, Header: nats.Header{}}
	msg.Header.Set(events.HeaderMsgID, events.DerivedID("provisioning-job", j.RequestID, j.ApprovalID))
	if _, err := h.JS.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("queueing the creation of %s: %w", j.RequestID, err)
	}
	return nil
}
