package replies

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/reply"
	"github.com/acctflow/acctflow/retry"
)

// Requests reads the projection.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Raw reads stored messages from the mail-raw object store.
type Raw interface {
	GetBytes(ctx context.Context, name string, opts ...jetstream.GetObjectOpt) ([]byte, error)
}

// Outbox sends an email once per key.
type Outbox interface {
	Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error)
}

// Handler turns replies into details, clarifications and rejections.
type Handler struct {
	JS         events.Publisher
	Requests   Requests
	Raw        Raw
	RootEmails KV // KV root-emails
	Threads    KV // KV reply-threads (EnsureThreads)
	Outbox     Outbox
	Domain     string // of our Message-IDs
	ReplyKey   []byte
	Inbox      string // workflow inbox address
	Sig        mailer.Signature
	Logger     *slog.Logger
	Now        func() time.Time
	// ClarifyEvery paces clarifications per request; default 24h.
	ClarifyEvery time.Duration
}

const (
	Name   = "replies"
	source = "acctflow/replies"
	// maxRaw bounds what is read back from the store: the inbox keeps at
	// most its size limit, this guards against anything else put there.
	maxRaw = 32 << 20
)

func (h *Handler) Broker() broker.Handler {
	return broker.Handler{
		Name:     Name,
		Subjects: []string{events.SubjectReplyReceived, events.SubjectConfirmationSent},
		Handle:   h.Handle,
	}
}

func (h *Handler) threads() Threads { return Threads{KV: h.Threads, Domain: h.Domain} }

// notFoundDeliveries is how many deliveries a ReplyReceived whose raw
// message is not found gets before it is rejected as unreadable.
const notFoundDeliveries = 5

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	if m.Subject == events.SubjectConfirmationSent {
		return h.thread(ctx, m)
	}
	var in events.ReplyReceived
	if err := events.Unmarshal("reply-received", m.Data, &in); err != nil {
		return retry.Permanent(fmt.Errorf("invalid ReplyReceived: %w", err))
	}
	raw, err := h.Raw.GetBytes(ctx, in.Object)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		// The inbox stores the message before announcing it, so on the first
		// deliveries "not found" is a replica that has not caught up (R3,
		// a node just restarted), not a missing message.
		if m.Deliveries < notFoundDeliveries {
			return fmt.Errorf("reading raw message %s: not found yet, a replica may lag: %w", in.Object, err)
		}
		return h.reject(ctx, m, in, reply.Reply{}, matched{Reason: events.ReplyUnreadable, Detail: "raw message not in the store"})
	}
	if err != nil {
		return fmt.Errorf("reading raw message %s: %w", in.Object, err)
	}
	if len(raw) > maxRaw {
		in.Oversize = true
		raw = raw[:0]
	}
	r := reply.Parse(raw)
	if in.Oversize {
		return h.reject(ctx, m, in, r, matched{Reason: events.ReplyTooLarge, Detail: fmt.Sprintf("%d bytes", in.Size)})
	}
	mt, err := h.match(ctx, r)
	if err != nil {
		return err
	}
	if mt.Reason != "" {
		return h.reject(ctx, m, in, r, mt)
	}
	rec, err := h.Requests.Get(ctx, mt.RequestID)
	if errors.Is(err, lifecycle.ErrNotFound) {
		mt.Reason, mt.Detail = events.ReplyUnmatched, "no request "+mt.RequestID+" (matched by "+mt.By+")"
		mt.RequestID = ""
		return h.reject(ctx, m, in, r, mt)
	}
	if err != nil {
		return err
	}
	if done(rec, in.ReplyID, r) {
		h.Logger.Info("reply already handled, redelivery absorbed", "reply_id", in.ReplyID, "request_id", rec.RequestID)
		return nil
	}
	d := Decide(r, rec)
	switch d.Verdict {
	case Reject:
		mt.Reason, mt.Detail = d.Reason, d.Detail
		return h.reject(ctx, m, in, r, mt)
	case Role:
		ev := events.RoleSubmitted{RequestID: rec.RequestID, RoleARN: r.RoleARN, SubmittedBy: clip(r.Header.From, 200), SubmittedAt: events.Time(h.Now())}
		return h.publish(ctx, ev, "role-submitted", in.ReplyID, m.Env)
	case Submit:
		won, err := RootEmails{KV: h.RootEmails}.Claim(ctx, d.Root, rec.RequestID)
		if err != nil {
			return err
		}
		if won {
			return h.submit(ctx, m, in, r, rec, d.Root)
		}
		d = Decision{Verdict: Incomplete, Problems: []string{ProblemRootInUse}, Root: d.Root, Clarify: true}
	case Incomplete:
		if d.Root != "" {
			free, err := RootEmails{KV: h.RootEmails}.Free(ctx, d.Root, rec.RequestID)
			if err != nil {
				return err
			}
			if !free {
				d.Problems = appendOnce(d.Problems, ProblemRootInUse)
			}
		}
	}
	return h.incomplete(ctx, m, in, r, rec, d)
}

// done reports whether this reply's outcome is already in the projection,
// so a redelivery after the request moved on is not judged "wrong stage".
func done(rec lifecycle.Record, replyID string, r reply.Reply) bool {
	if rec.Details != nil && slices.Contains(rec.Applied, events.DerivedID("details-submitted", replyID)) {
		return true
	}
	return rec.Role != nil && r.RoleARN != "" && rec.Role.ARN == r.RoleARN
}

// thread indexes the confirmation's Message-ID for In-Reply-To matching.
func (h *Handler) thread(ctx context.Context, m broker.Msg) error {
	var c events.ConfirmationSent
	if err := events.Unmarshal("confirmation-sent", m.Data, &c); err != nil {
		return retry.Permanent(fmt.Errorf("invalid ConfirmationSent: %w", err))
	}
	return h.threads().Remember(ctx, c.MessageID, c.RequestID)
}

func (h *Handler) submit(ctx context.Context, m broker.Msg, in events.ReplyReceived, r reply.Reply, rec lifecycle.Record, root string) error {
	ev := events.DetailsSubmitted{
		RequestID:       rec.RequestID,
		RootEmail:       root,
		Nickname:        *textPtr(r.Nickname),
		SupportType:     *r.SupportType,
		EnterpriseSales: *r.SupportType == "enterprise",
		SourceMessageID: safeID(r.Header.MessageID),
		From:            r.Header.From,
		SubmittedAt:     events.Time(h.Now()),
	}
	return h.publish(ctx, ev, "details-submitted", in.ReplyID, m.Env)
}

func (h *Handler) reject(ctx context.Context, m broker.Msg, in events.ReplyReceived, r reply.Reply, mt matched) error {
	ev := events.ReplyRejected{
		ReplyID:    in.ReplyID,
		Reason:     mt.Reason,
		Detail:     clip(mt.Detail, 500),
		From:       clip(r.Header.From, 254),
		MessageID:  safeID(in.MessageID),
		RejectedAt: events.Time(h.Now()),
	}
	// A forged or unauthorised reply must not even leave a trace on the
	// request it aimed at; the others are worth seeing there.
	if mt.Reason != events.ReplyForgedToken && mt.Reason != events.ReplyUnauthorised {
		ev.RequestID = mt.RequestID
	}
	h.Logger.Info("reply rejected", "reply_id", in.ReplyID, "reason", mt.Reason, "request_id", mt.RequestID)
	return h.publish(ctx, ev, "reply-rejected", in.ReplyID, m.Env)
}

func (h *Handler) publish(ctx context.Context, ev events.Event, kind, replyID string, cause events.Envelope) error {
	if _, err := events.Publish(ctx, h.JS, ev, events.DerivedID(kind, replyID), source, cause); err != nil {
		return fmt.Errorf("publishing %s for reply %s: %w", kind, replyID, err)
	}
	return nil
}

// safeID keeps a Message-ID only when the schema's message_id accepts it.
func safeID(id string) string {
	if id == "" || len(id) > 998 {
		return ""
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] == 0x7f {
			return ""
		}
	}
	return id
}
