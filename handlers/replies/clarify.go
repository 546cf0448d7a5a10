package replies

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/reply"
)

// incomplete asks the sender back (at most once per request per
// ClarifyEvery) and then records what was understood. The mail goes first so
// the event can say whether it went; a crash between the two resends nothing
// (the outbox key is the reply's) and publishes the same event.
func (h *Handler) incomplete(ctx context.Context, m broker.Msg, in events.ReplyReceived, r reply.Reply, rec lifecycle.Record, d Decision) error {
	sent := false
	if d.Clarify {
		every := h.ClarifyEvery
		if every <= 0 {
			every = 24 * time.Hour
		}
		ok, err := h.threads().MayClarify(ctx, rec.RequestID, in.ReplyID, h.Now(), every)
		if err != nil {
			return err
		}
		if ok {
			if err := h.clarify(ctx, in, r, rec, d); err != nil {
				return err
			}
			sent = true
		}
	}
	ev := events.DetailsIncomplete{
		RequestID:         rec.RequestID,
		Problems:          clipProblems(d.Problems),
		RootEmail:         textPtr(r.RootEmail),
		Nickname:          textPtr(r.Nickname),
		SupportType:       r.SupportType,
		SourceMessageID:   safeID(r.Header.MessageID),
		From:              r.Header.From,
		ClarificationSent: sent,
		ReceivedAt:        events.Time(h.Now()),
	}
	return h.publish(ctx, ev, "details-incomplete", in.ReplyID, m.Env)
}

func (h *Handler) clarify(ctx context.Context, in events.ReplyReceived, r reply.Reply, rec lifecycle.Record, d Decision) error {
	req := rec.Request
	if req == nil {
		return fmt.Errorf("clarifying %s: request not projected yet", rec.RequestID)
	}
	mailbox := h.Inbox
	channel := rec.ReplyChannel
	if channel == events.ReplySupportMailbox && rec.SupportMailbox != "" {
		mailbox = rec.SupportMailbox
	} else {
		channel = events.ReplyWorkflow
	}
	replyTo, err := mailer.ReplyAddress(h.ReplyKey, rec.RequestID, mailbox)
	if err != nil {
		return fmt.Errorf("clarifying %s: %w", rec.RequestID, err)
	}
	data := mailer.ClarificationData{
		RequestID: rec.RequestID, ContactName: req.Reseller.PrimaryContact.Name, CustomerName: req.Customer.Name,
		Problems: d.Problems, ReplyChannel: channel, SupportMailbox: rec.SupportMailbox, Sig: h.Sig,
	}
	if r.RootEmail != nil {
		data.RootEmail = *r.RootEmail
	}
	if r.Nickname != nil {
		data.Nickname = *r.Nickname
	}
	if r.SupportType != nil {
		data.SupportType = *r.SupportType
	}
	subject, text, html, err := mailer.Render(data)
	if err != nil {
		return fmt.Errorf("rendering clarification for %s: %w", rec.RequestID, err)
	}
	name := ""
	if strings.EqualFold(r.Header.From, req.Reseller.PrimaryContact.Email) {
		name = req.Reseller.PrimaryContact.Name
	}
	kind := mailer.KindClarification + "." + in.ReplyID[:16]
	msg := mailer.Message{
		MessageID: mailer.MessageID(rec.RequestID, kind, h.Domain),
		To:        mailer.Address{Name: name, Email: r.Header.From},
		ReplyTo:   replyTo,
		Subject:   subject, Text: text, HTML: html,
		InReplyTo:  r.Header.MessageID,
		References: append(clipList(r.Header.References, 18), r.Header.MessageID),
	}
	// Threaded before it is sent, so an answer to it is matched even when
	// the reseller's client drops the token and the subject tag.
	if err := h.threads().Remember(ctx, msg.MessageID, rec.RequestID); err != nil {
		return err
	}
	_, err = h.Outbox.Send(ctx, effect.Key(mailer.KindClarification, rec.RequestID, in.ReplyID), mailer.KindClarification, msg)
	return err
}

func textPtr(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	v := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, clip(*s, 200))
	return &v
}

func clipProblems(ps []string) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if len(out) == 20 {
			break
		}
		if p != "" && len(p) <= 64 && strings.Trim(p, "abcdefghijklmnopqrstuvwxyz_") == "" {
			out = appendOnce(out, p)
		}
	}
	if len(out) == 0 {
		out = append(out, reply.ProblemUnreadable)
	}
	return out
}

func clipList(s []string, n int) []string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
