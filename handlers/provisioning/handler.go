package provisioning

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/retry"
)

// Name is the handler's name in --handlers and its consumer's durable name.
const Name = "provisioning"

// Requests is the projection lookup provisioning needs.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Handler queues an account creation for each approval. It only writes the
// provisioning record; the Driver makes the AWS calls, so that a message is
// never held while AWS takes minutes.
type Handler struct {
	Accounts jetstream.KeyValue // KV accounts
	Requests Requests
	Logger   *slog.Logger
	Now      func() time.Time
}

func (h *Handler) Broker() broker.Handler {
	return broker.Handler{Name: Name, Subjects: []string{events.SubjectApproved}, Handle: h.Handle, Effect: events.EffectCreateAccount}
}

// Manual is the handler run with --provisioner manual: ops record accounts
// by hand, so approvals need nothing here.
func Manual() broker.Handler {
	return broker.Handler{Name: Name, Subjects: []string{events.SubjectApproved},
		Handle: func(context.Context, broker.Msg) error { return nil }}
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
	c, err := Queue(rec, m.Env, h.Now())
	if err != nil {
		return err
	}
	st := records{kv: h.Accounts}
	old, rev, err := st.get(ctx, ap.RequestID)
	if err != nil {
		return err
	}
	switch {
	case rev == 0:
	case old.ApprovalID == c.ApprovalID, !(old.State == StateFailed && old.NewEmailNeeded):
		// A redelivered approval, or one that arrived while a creation
		// is under way or done: never a second CreateAccount.
		h.Logger.Info("creation already queued, approval absorbed", "request_id", ap.RequestID, "state", old.State)
		return nil
	case old.Email == c.Email:
		return retry.Permanent(fmt.Errorf("approval of %s: root email %s already failed (%s); new details are needed first",
			ap.RequestID, c.Email, old.FailureReason))
	}
	if _, err := st.put(ctx, c, rev); errors.Is(err, errConflict) {
		return fmt.Errorf("queueing creation for %s: %w", ap.RequestID, err) // re-read on redelivery
	} else if err != nil {
		return err
	}
	h.Logger.Info("account creation queued", "request_id", ap.RequestID, "account_name", c.AccountName)
	return nil
}

// Queue builds the queued creation of an approved request from its
// projection: the root email and nickname from the details, tags naming the
// request, reseller and customer.
func Queue(rec lifecycle.Record, approval events.Envelope, now time.Time) (Creation, error) {
	if rec.Details == nil || rec.Request == nil {
		// The projection may not have caught up yet: try again later.
		return Creation{}, fmt.Errorf("approval of %s: the request's details are not projected (stage %s)", rec.RequestID, rec.Stage)
	}
	name := aws.AccountName(rec.Details.Nickname)
	if name == "" {
		name = aws.AccountName(rec.Request.Customer.Name)
	}
	return Creation{
		RequestID:   rec.RequestID,
		ApprovalID:  approval.ID,
		Cause:       approval,
		State:       StateQueued,
		Email:       rec.Details.RootEmail,
		AccountName: name,
		Tags: map[string]string{
			"acctflow:request-id":  rec.RequestID,
			"acctflow:reseller-id": rec.Request.Reseller.ID,
			"acctflow:customer-id": rec.Request.Customer.ID,
		},
		QueuedAt: now.UTC(),
	}, nil
}
