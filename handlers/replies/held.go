package replies

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/reply"
	"github.com/acctflow/acctflow/retry"
)

// hold keeps a reply that proves nothing about its sender: nothing
// changes, and the primary contact on record is asked, by an email whose
// Reply-To carries the token, to confirm it. The email goes first, once
// per held reply, so the event can say it went.
func (h *Handler) hold(ctx context.Context, m broker.Msg, in events.ReplyReceived, r reply.Reply, rec lifecycle.Record, mt matched, a Answer) error {
	asked := false
	if h.mayMail(rec, "reply-held") {
		if err := h.askToConfirm(ctx, in, r, rec, a); err != nil {
			return err
		}
		asked = true
	}
	ev := events.ReplyHeld{
		ReplyID: in.ReplyID, RequestID: rec.RequestID, Reason: events.HoldUnverifiedSender, MatchedBy: mt.By,
		From: clip(r.Header.From, 254), MessageID: safeID(r.Header.MessageID),
		RootEmail: textPtr(a.rootLower()), Nickname: textPtr(deref(a.Nickname)), SupportType: a.SupportType,
		RoleARN: clip(a.RoleARN, 2048), ConfirmationRequested: asked, HeldAt: events.Time(h.Now()),
	}
	if ev.SupportType != nil && !events.ValidSupportType(*ev.SupportType) {
		ev.SupportType = nil
	}
	h.Logger.Info("reply held: it proves nothing about its sender", "reply_id", in.ReplyID, "request_id", rec.RequestID, "matched_by", mt.By, "confirmation_requested", asked)
	return h.publish(ctx, ev, "reply-held", in.ReplyID, m.Env)
}

func (h *Handler) askToConfirm(ctx context.Context, in events.ReplyReceived, r reply.Reply, rec lifecycle.Record, a Answer) error {
	req := rec.Request
	if req == nil {
		return fmt.Errorf("holding a reply to %s: request not projected yet", rec.RequestID)
	}
	_, _, replyTo, err := h.replyPath(rec)
	if err != nil {
		return fmt.Errorf("holding a reply to %s: %w", rec.RequestID, err)
	}
	contact := req.Reseller.PrimaryContact
	subject, text, html, err := mailer.Render(mailer.HeldConfirmData{
		RequestID: rec.RequestID, ContactName: contact.Name, CustomerName: req.Customer.Name,
		From: r.Header.From, ReceivedAt: in.ReceivedAt, RootEmail: a.rootLower(), Nickname: deref(a.Nickname),
		SupportType: validSupport(a.SupportType), RoleARN: a.RoleARN, Lang: langOf(req), Sig: h.Sig,
	})
	if err != nil {
		return fmt.Errorf("rendering the confirmation request for %s: %w", rec.RequestID, err)
	}
	msg := mailer.Message{
		MessageID: mailer.MessageID(h.Keys.Current, rec.RequestID, heldKind(in.ReplyID), h.Domain),
		To:        mailer.Address{Name: contact.Name, Email: contact.Email},
		ReplyTo:   replyTo,
		Subject:   subject, Text: text, HTML: html,
	}
	_, err = h.Outbox.Send(ctx, events.JoinKey(mailer.KindHeldConfirm, rec.RequestID, in.ReplyID), mailer.KindHeldConfirm, msg)
	return err
}

// heldKind is the Message-ID kind of the email asking to confirm a held
// reply: a verified answer quoting it confirms that reply.
func heldKind(replyID string) string { return mailer.KindHeldConfirm + "." + replyID[:16] }

// confirmed returns the held reply a verified reply confirms: one it quotes
// the confirm-by-reply email of, still waiting (or released by this very
// reply, on a redelivery).
func confirmed(rec lifecycle.Record, mt matched, replyID string) (lifecycle.HeldReply, bool) {
	if !mt.Verified() {
		return lifecycle.HeldReply{}, false
	}
	for _, kind := range mt.Confirms {
		for _, held := range rec.Held {
			if kind != heldKind(held.ReplyID) {
				continue
			}
			if held.Status == lifecycle.HeldWaiting || held.Status == lifecycle.HeldReleased && held.ConfirmedBy == replyID {
				return held, true
			}
		}
	}
	return lifecycle.HeldReply{}, false
}

// confirm releases a held reply on the contact's verified answer and applies
// it, with whatever the answer itself says laid over it.
func (h *Handler) confirm(ctx context.Context, m broker.Msg, in events.ReplyReceived, r reply.Reply, rec lifecycle.Record, held lifecycle.HeldReply, a Answer) error {
	rel := events.ReplyReleased{ReplyID: held.ReplyID, RequestID: rec.RequestID, By: events.ReleasedByContact,
		ConfirmReplyID: in.ReplyID, ReleasedAt: events.Time(h.Now())}
	if err := h.publish(ctx, rel, "reply-released", held.ReplyID, m.Env); err != nil {
		return err
	}
	merged := heldAnswer(held).over(a)
	merged.From, merged.AutoReply, merged.Bounce = a.From, a.AutoReply, a.Bounce
	d := Decide(merged, rec)
	if d.Verdict == Reject {
		return h.reject(ctx, m, in, r.Header.From, matched{RequestID: rec.RequestID, Reason: d.Reason, Detail: d.Detail})
	}
	return h.apply(ctx, m.Env, in.ReplyID, originOf(r), rec, merged, d)
}

// declined discards a held reply the contact says they did not send: the
// verified answer to our confirm-by-reply email starts with a no.
func (h *Handler) declined(ctx context.Context, m broker.Msg, in events.ReplyReceived, rec lifecycle.Record, held lifecycle.HeldReply) error {
	h.Logger.Warn("the contact says they did not send a held reply: discarded", "request_id", rec.RequestID, "reply_id", held.ReplyID)
	ev := events.ReplyDiscarded{ReplyID: held.ReplyID, RequestID: rec.RequestID, Operator: "contact",
		Reason: "the contact answered that they did not send it (reply " + in.ReplyID[:16] + ")", DiscardedAt: events.Time(h.Now())}
	return h.publish(ctx, ev, "reply-discarded", held.ReplyID, m.Env)
}

// released applies a held reply ops released. One the contact confirmed
// was applied with the confirmation.
func (h *Handler) released(ctx context.Context, m broker.Msg) error {
	var rel events.ReplyReleased
	if err := events.Unmarshal("reply-released", m.Data, &rel); err != nil {
		return retry.Permanent(fmt.Errorf("invalid ReplyReleased: %w", err))
	}
	if rel.By != events.ReleasedByOps {
		return nil
	}
	rec, err := h.Requests.Get(ctx, rel.RequestID)
	if err != nil && !errors.Is(err, lifecycle.ErrNotFound) {
		return err
	}
	held, ok := rec.HeldReply(rel.ReplyID)
	if !ok {
		// Ops release what `request show` lists: the projection will have
		// it on a later delivery.
		return fmt.Errorf("releasing reply %s of %s: not in the record yet", rel.ReplyID, rel.RequestID)
	}
	if held.Status == lifecycle.HeldDiscarded || rec.Seen(events.DerivedID("details-submitted", held.ReplyID)) ||
		rec.Seen(events.DerivedID("details-incomplete", held.ReplyID)) || rec.Seen(events.DerivedID("role-submitted", held.ReplyID)) {
		return nil
	}
	a := heldAnswer(held)
	d := Decide(a, rec)
	if d.Verdict == Reject {
		ev := events.ReplyRejected{ReplyID: held.ReplyID, RequestID: rec.RequestID, Reason: d.Reason, Detail: clip(d.Detail, 500),
			From: held.From, RejectedAt: events.Time(h.Now())}
		return h.publish(ctx, ev, "reply-rejected", held.ReplyID, m.Env)
	}
	return h.apply(ctx, m.Env, held.ReplyID, origin{From: held.From}, rec, a, d)
}

// heldAnswer is a held reply's content as an answer.
func heldAnswer(held lifecycle.HeldReply) Answer {
	return Answer{From: held.From, RootEmail: held.RootEmail, Nickname: held.Nickname, SupportType: held.SupportType, RoleARN: held.RoleARN}
}

func validSupport(s *string) string {
	if s == nil || !events.ValidSupportType(*s) {
		return ""
	}
	return *s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}
