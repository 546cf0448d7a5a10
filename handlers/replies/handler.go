package replies

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// Handler turns replies into details, clarifications, held replies and
// rejections, applies held replies once released, and releases the root
// emails of requests that end.
type Handler struct {
	JS         events.Publisher
	Requests   Requests
	Raw        Raw
	RootEmails KV // KV root-emails
	Outbox     Outbox
	Keys       mailer.Keys // reply tokens: sign with the current key, verify with any
	Domain     string      // of our Message-IDs
	Inbox      string      // workflow inbox address
	// Mailboxes are every address replies come to (the workflow inbox and
	// the regional support mailboxes): a plus-tag on one of them is a token.
	Mailboxes Mailboxes
	// TrustedAuthServ are the authserv-ids of receiving servers whose
	// Authentication-Results we believe (--trusted-authserv-id).
	TrustedAuthServ []string
	Sig             mailer.Signature
	Logger          *slog.Logger
	Now             func() time.Time
	// MaxClarifications bounds clarification emails per request per day
	// (default 5): a mail loop cannot turn into a flood.
	MaxClarifications int
	// Events, when set, links a reply's trace to the email it answers
	// (trace.go); nil: no links.
	Events StoredEvents
}

// Declaration is what replies touches in NATS, its IMAP readers (package
// ingest) included: they keep each mailbox's cursor, store the raw message
// and publish what arrived.
var Declaration = broker.Declaration{
	Name:   Name,
	Inputs: []string{events.SubjectReplyReceived, events.SubjectReplyReleased, events.SubjectRejected, events.SubjectExpired},
	Outputs: []string{
		events.SubjectReplyReceived, events.SubjectReplyRejected, events.SubjectReplyHeld, events.SubjectReplyReleased,
		events.SubjectReplyDiscarded, events.SubjectDetailsSubmitted, events.SubjectDetailsIncomplete, events.SubjectRoleSubmitted,
	},
	Writes:      []string{broker.BucketRootEmails, broker.BucketMailSent, broker.BucketIMAPCursor, broker.ObjectMailRaw},
	ReadsEvents: true,
}

const (
	Name   = "replies"
	source = "acctflow/replies"
	// maxRaw bounds what is read back from the store: the inbox keeps at
	// most its size limit, this guards against anything else put there.
	maxRaw = 32 << 20
)

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

// notFoundDeliveries is how many deliveries a ReplyReceived whose raw
// message is not found gets before it is rejected as unreadable.
const notFoundDeliveries = 5

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	switch m.Subject {
	case events.SubjectReplyReleased:
		return h.released(ctx, m)
	case events.SubjectRejected, events.SubjectExpired:
		return h.ended(ctx, m)
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
		return h.reject(ctx, m, in, "", matched{Reason: events.ReplyUnreadable, Detail: "raw message not in the store"})
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
		return h.reject(ctx, m, in, r.Header.From, matched{Reason: events.ReplyTooLarge, Detail: fmt.Sprintf("%d bytes", in.Size)})
	}
	mt := match(r, h.Keys, h.Mailboxes, h.Domain)
	if mt.Reason != "" {
		return h.reject(ctx, m, in, r.Header.From, mt)
	}
	rec, err := h.Requests.Get(ctx, mt.RequestID)
	if errors.Is(err, lifecycle.ErrNotFound) {
		mt.Reason, mt.Detail = events.ReplyUnmatched, "no request "+mt.RequestID+" (matched by "+mt.By+")"
		mt.RequestID = ""
		return h.reject(ctx, m, in, r.Header.From, mt)
	}
	if err != nil {
		return err
	}
	h.traceReply(ctx, rec, mt)
	if rec.Seen(events.DerivedID("details-submitted", in.ReplyID)) || rec.Seen(events.DerivedID("role-submitted", in.ReplyID)) {
		h.Logger.Info("reply already applied, redelivery absorbed", "reply_id", in.ReplyID, "request_id", rec.RequestID)
		return nil
	}
	a := answerOf(r)
	if held, ok := confirmed(rec, mt, in.ReplyID); ok {
		switch {
		case r.Declines:
			return h.declined(ctx, m, in, rec, held)
		case r.Affirms && !a.AutoReply && !a.Bounce:
			return h.confirm(ctx, m, in, r, rec, held, a)
		}
		// Neither yes nor no ("I never sent this", "Who is this?", an
		// empty answer, an out-of-office): only a yes applies what the
		// held reply says. It stays held for ops; what this answer says
		// itself is read as any verified answer would be.
		h.Logger.Warn("an answer to the confirm email says neither yes nor no: the held reply stays held for ops",
			"request_id", rec.RequestID, "held_reply_id", held.ReplyID, "reply_id", in.ReplyID)
		if !a.says() {
			return nil
		}
	}
	d := Decide(a, rec)
	if d.Verdict == Reject {
		mt.Reason, mt.Detail = d.Reason, d.Detail
		return h.reject(ctx, m, in, r.Header.From, mt)
	}
	if !mt.Verified() && !Authenticated(raw, r.Header.From, h.TrustedAuthServ) {
		return h.hold(ctx, m, in, r, rec, mt, a)
	}
	return h.apply(ctx, m.Env, in.ReplyID, originOf(r), rec, a, d)
}

// origin is where an applied answer came from, for the events it yields.
type origin struct {
	From      string
	MessageID string
}

func originOf(r reply.Reply) origin {
	return origin{From: r.Header.From, MessageID: safeID(r.Header.MessageID)}
}

// apply carries out a decision on a trusted answer. replyID keys every
// output, so a redelivery publishes the same events and sends nothing new.
func (h *Handler) apply(ctx context.Context, cause events.Envelope, replyID string, src origin, rec lifecycle.Record, a Answer, d Decision) error {
	switch d.Verdict {
	case Unchanged:
		h.Logger.Info("reply repeats the details already received", "reply_id", replyID, "request_id", rec.RequestID)
		return nil
	case Role:
		ev := events.RoleSubmitted{RequestID: rec.RequestID, RoleARN: a.RoleARN, SubmittedBy: clip(src.From, 200), SubmittedAt: events.Time(h.Now())}
		return h.publish(ctx, ev, "role-submitted", replyID, cause)
	case Submit:
		won, err := RootEmails{KV: h.RootEmails}.Claim(ctx, d.Known.RootEmail, rec.RequestID)
		if err != nil {
			return err
		}
		if won {
			if err := h.submit(ctx, cause, replyID, src, rec, d.Known); err != nil {
				return err
			}
			// A corrected root email frees the one it replaces.
			if old := rec.Known.RootEmail; old != "" && old != d.Known.RootEmail {
				return RootEmails{KV: h.RootEmails}.Release(ctx, old, rec.RequestID)
			}
			return nil
		}
		d.Verdict, d.Problems, d.Clarify = Incomplete, []string{ProblemRootInUse}, true
		d.Refused.RootEmail, d.Known.RootEmail = d.Known.RootEmail, rec.Known.RootEmail
		if d.Known.RootEmail == d.Refused.RootEmail {
			d.Known.RootEmail = ""
		}
	case Incomplete:
		if root := a.rootLower(); root != "" && root == d.Known.RootEmail {
			free, err := RootEmails{KV: h.RootEmails}.Free(ctx, root, rec.RequestID)
			if err != nil {
				return err
			}
			if !free {
				d.Problems = appendOnce(d.Problems, ProblemRootInUse)
				d.Refused.RootEmail, d.Known.RootEmail = root, rec.Known.RootEmail
			}
		}
	}
	return h.incomplete(ctx, cause, replyID, src, rec, d)
}

func (a Answer) rootLower() string {
	if a.RootEmail == nil {
		return ""
	}
	return lower(*a.RootEmail)
}

func (h *Handler) submit(ctx context.Context, cause events.Envelope, replyID string, src origin, rec lifecycle.Record, k lifecycle.Known) error {
	ev := events.DetailsSubmitted{
		RequestID:       rec.RequestID,
		RootEmail:       k.RootEmail,
		Nickname:        k.Nickname,
		AWSAccountName:  awsName(k.Nickname),
		SupportType:     k.SupportType,
		EnterpriseSales: k.SupportType == events.SupportEnterprise,
		SourceMessageID: src.MessageID,
		From:            src.From,
		SubmittedAt:     events.Time(h.Now()),
	}
	return h.publish(ctx, ev, "details-submitted", replyID, cause)
}

func (h *Handler) reject(ctx context.Context, m broker.Msg, in events.ReplyReceived, from string, mt matched) error {
	ev := events.ReplyRejected{
		ReplyID:    in.ReplyID,
		Reason:     mt.Reason,
		Detail:     clip(mt.Detail, 500),
		From:       clip(from, 254),
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

// ended releases the root email of a request that was rejected or expired.
func (h *Handler) ended(ctx context.Context, m broker.Msg) error {
	id := lifecycle.RequestIDOf(m.Subject, m.Data)
	if id == "" {
		return nil
	}
	if m.Subject == events.SubjectRejected {
		var rej events.RequestRejected
		if err := events.Unmarshal("request-rejected", m.Data, &rej); err != nil {
			return nil // routing dead-letters it
		}
		if len(rej.Reasons) == 1 && rej.Reasons[0] == events.ReasonRequestIDConflict {
			return nil // the original request goes on
		}
	}
	rec, err := h.Requests.Get(ctx, id)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return RootEmails{KV: h.RootEmails}.Release(ctx, rec.Known.RootEmail, id)
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
