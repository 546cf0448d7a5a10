package replies

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/reply"
)

// incomplete asks the sender back (within the daily bound) and records what
// is known after this reply. The mail goes first so the event can say
// whether it went; a crash between the two resends nothing (the outbox key
// is the reply's) and publishes the same event.
func (h *Handler) incomplete(ctx context.Context, cause events.Envelope, replyID string, src origin, rec lifecycle.Record, d Decision) error {
	sent := false
	if d.Clarify && h.mayMail(rec, "details-incomplete") {
		if err := h.clarify(ctx, replyID, src, rec, d); err != nil {
			return err
		}
		sent = true
	}
	ev := events.DetailsIncomplete{
		RequestID:         rec.RequestID,
		Problems:          clipProblems(d.Problems),
		RootEmail:         textPtr(d.Known.RootEmail),
		Nickname:          textPtr(d.Known.Nickname),
		SupportType:       textPtr(d.Known.SupportType),
		SourceMessageID:   src.MessageID,
		From:              src.From,
		ClarificationSent: sent,
		ReceivedAt:        events.Time(h.Now()),
	}
	return h.publish(ctx, ev, "details-incomplete", replyID, cause)
}

// mayMail bounds the emails a request's replies trigger (clarifications,
// confirm-by-reply requests) to MaxClarifications a day, counted from the
// record: a loop with an auto-responder that slips through, or a flood of
// spoofed replies, cannot turn into a flood of mail.
func (h *Handler) mayMail(rec lifecycle.Record, event string) bool {
	limit := h.MaxClarifications
	if limit <= 0 {
		limit = 5
	}
	since := h.Now().Add(-24 * time.Hour)
	n := 0
	for _, e := range rec.History {
		if e.Event != event {
			continue
		}
		var probe struct {
			Sent      bool `json:"clarification_sent"`
			Requested bool `json:"confirmation_requested"`
		}
		at, err := time.Parse(time.RFC3339, e.At)
		if json.Unmarshal(e.Data, &probe) == nil && (probe.Sent || probe.Requested) && err == nil && at.After(since) {
			n++
		}
	}
	return n < limit
}

// replyPath is where a request's reseller answers, as mailer.ReplyPath
// says: the mailbox the text names (their region's support mailbox, none for
// the workflow inbox) and its tokenised Reply-To.
func (h *Handler) replyPath(rec lifecycle.Record) (channel, mailbox, replyTo string, err error) {
	return mailer.ReplyPath(h.Keys.Current, rec.RequestID, rec.ReplyChannel, rec.SupportMailbox, h.Inbox)
}

// langOf is the language of the request's reseller.
func langOf(req *events.AccountRequested) mailer.Lang {
	return mailer.LangFor(req.Reseller.Country, "")
}

func (h *Handler) clarify(ctx context.Context, replyID string, src origin, rec lifecycle.Record, d Decision) error {
	req := rec.Request
	if req == nil {
		return fmt.Errorf("clarifying %s: request not projected yet", rec.RequestID)
	}
	channel, mailbox, replyTo, err := h.replyPath(rec)
	if err != nil {
		return fmt.Errorf("clarifying %s: %w", rec.RequestID, err)
	}
	data := mailer.ClarificationData{
		RequestID: rec.RequestID, ContactName: req.Reseller.PrimaryContact.Name, CustomerName: req.Customer.Name,
		RootEmail: d.Known.RootEmail, Nickname: d.Known.Nickname, AWSAccountName: awsName(d.Known.Nickname), SupportType: d.Known.SupportType,
		Problems: d.Problems, ReplyChannel: channel, SupportMailbox: mailbox, Lang: langOf(req), Sig: h.Sig,
	}
	// A refused value is named back, so the reseller sees what was wrong.
	if d.Refused.RootEmail != "" {
		data.RootEmail = d.Refused.RootEmail
	}
	if d.Refused.Nickname != "" {
		data.Nickname = d.Refused.Nickname
	}
	subject, text, html, err := mailer.Render(data)
	if err != nil {
		return fmt.Errorf("rendering clarification for %s: %w", rec.RequestID, err)
	}
	name := ""
	if strings.EqualFold(src.From, req.Reseller.PrimaryContact.Email) {
		name = req.Reseller.PrimaryContact.Name
	}
	msg := mailer.Message{
		MessageID: mailer.MessageID(h.Keys.Current, rec.RequestID, mailer.KindClarification+"."+replyID[:16], h.Domain),
		To:        mailer.Address{Name: name, Email: src.From},
		ReplyTo:   replyTo,
		Subject:   subject, Text: text, HTML: html,
		InReplyTo: src.MessageID,
	}
	if src.MessageID != "" {
		msg.References = []string{src.MessageID}
	}
	_, err = h.Outbox.Send(ctx, events.JoinKey(mailer.KindClarification, rec.RequestID, replyID), mailer.KindClarification, msg)
	return err
}

func textPtr(s string) *string {
	if s == "" {
		return nil
	}
	v := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, clip(s, 200))
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

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// awsName is the nickname as AWS will show the account.
func awsName(nickname string) string { return aws.AccountName(nickname) }
