package reminders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Names in --handlers, and the durable consumers' names.
const (
	Name       = "reminders"       // plans and cancels, from events
	TimersName = "reminder-timers" // acts when a step fires
)

const source = "acctflow/reminders"

// Declaration is what the planner touches in NATS; TimersDeclaration what
// the steps do when they fire (mail the reminder or the expiry, reading
// their events back to settle a send in doubt).
var (
	Declaration = broker.Declaration{
		Name:   Name,
		Inputs: []string{events.SubjectConfirmationSent, events.SubjectDetailsIncomplete, events.SubjectDetailsSubmitted},
		Writes: []string{broker.BucketMailSent}, // ops alerts of its SMTP circuit
		Timers: []string{TimerKind},
		Waits:  []string{projection.Name},
	}
	TimersDeclaration = broker.Declaration{
		Name:        TimersName,
		Inputs:      broker.FireSubjects(TimerKind),
		Outputs:     []string{events.SubjectReminderSent, events.SubjectExpired},
		Writes:      []string{broker.BucketMailSent},
		Timers:      []string{TimerKind},
		Waits:       []string{projection.Name},
		ReadsEvents: true,
	}
)

// Requests reads projected records.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Outbox sends each email once per key (effect.Email); SendMarked's event
// is the record that the email went.
type Outbox interface {
	Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error)
	SendMarked(ctx context.Context, key, kind string, m mailer.Message, mark effect.Mark) (bool, error)
}

// Handler plans, cancels and carries out a request's reminders and expiry.
type Handler struct {
	JS       jetstream.JetStream // publishes events, schedules timers, reads the projection's progress
	Requests Requests
	Outbox   Outbox
	Config   Config
	Domain   string // of Message-IDs
	ReplyKey []byte
	Inbox    string // workflow inbox (US/CA replies)
	Sig      mailer.Signature
	// Projection follows the durable consumer that folds events into
	// Requests (projection.Name): a fired step waits until it has caught up.
	Projection *broker.Progress
	Logger     *slog.Logger
	Now        func() time.Time
}

func (h *Handler) timers() broker.Timers { return broker.Timers{JS: h.JS} }

// Planner is the handler that schedules and cancels steps.
func (h *Handler) Planner() broker.Handler {
	return Declaration.Handler(h.Plan)
}

// Timers is the handler that carries steps out when they fire.
func (h *Handler) Timers() broker.Handler {
	return TimersDeclaration.Handler(h.Fire)
}

// Plan makes the request's timers agree with its record, once the
// projection has folded the event: a request that waits for details has
// the next step of its last request for details, any other none. Deciding from
// the record rather than the event makes redeliveries and events handled
// out of order harmless.
func (h *Handler) Plan(ctx context.Context, m broker.Msg) error {
	var probe struct {
		RequestID string `json:"request_id"`
	}
	schema, _ := events.SchemaFor(m.Subject)
	if err := events.Unmarshal(schema, m.Data, &probe); err != nil {
		return retry.Permanent(fmt.Errorf("invalid %s: %w", schema, err))
	}
	id := probe.RequestID
	// The record is whole once the projection has folded every event up
	// to this one: it may fold them in another order than the stream's.
	folded, err := h.Projection.WaitHandled(ctx, m.StreamSeq, time.Second)
	if err != nil {
		return err
	}
	if !folded {
		h.Logger.Debug("planning waits for the projection", "request_id", id, "subject", m.Subject)
		return retry.After(fmt.Errorf("planning reminders of %s: the projection has not folded %s yet", id, m.Subject), time.Second)
	}
	rec, err := h.Requests.Get(ctx, id)
	if errors.Is(err, lifecycle.ErrNotFound) {
		h.Logger.Warn("no record to plan reminders for", "request_id", id, "subject", m.Subject)
		return nil
	}
	if err != nil {
		return err
	}
	if rec.Stage != lifecycle.StageAwaitingDetails {
		if err := h.timers().CancelUnder(ctx, TimerKind, events.KeyOf(id)); err != nil {
			return err
		}
		h.Logger.Debug("reminders cancelled", "request_id", id, "stage", rec.Stage)
		return nil
	}
	ask, ok := LastAsk(rec)
	if !ok || !sameID(ask.ID, m.Env.ID) {
		return nil // a later request for details plans (or planned) them
	}
	asked, err := time.Parse(time.RFC3339, ask.At)
	if err != nil {
		return retry.Permanent(fmt.Errorf("planning reminders of %s: asked at %q: %w", id, ask.At, err))
	}
	steps, dropped := h.Config.Plan(id, ask.ID, asked, remindersBefore(rec, asked), h.Now())
	if m.Subject != events.SubjectConfirmationSent {
		// Asked again: the steps of the earlier ask go. (After the
		// confirmation, the first ask, there are none.)
		for _, s := range steps[1:] {
			dropped = append(dropped, s.Key)
		}
	}
	for _, k := range dropped {
		if err := h.timers().Cancel(ctx, TimerKind, k); err != nil {
			return err
		}
	}
	// One timer at a time: each step, when it fires, schedules the next
	// (Fire), so planning costs one write.
	if err := h.schedule(ctx, steps[0]); err != nil {
		return err
	}
	h.Logger.Info("reminders planned", "request_id", id, "waiting_since", ask.At, "steps", len(steps))
	return nil
}

func (h *Handler) schedule(ctx context.Context, s Planned) error {
	data, err := json.Marshal(s.Timer)
	if err != nil {
		return err
	}
	return h.timers().At(ctx, TimerKind, s.Key, s.At, data)
}

// scheduleNext schedules the step after the reminder t, if t belongs to the
// request's last ask for details and the request still waits for them.
// Every delivery of t does it (scheduling a key again replaces its timer),
// so a crash after it or after the reminder loses nothing.
func (h *Handler) scheduleNext(ctx context.Context, rec lifecycle.Record, t Timer) error {
	if t.Step != StepReminder || rec.Stage != lifecycle.StageAwaitingDetails {
		return nil
	}
	ask, ok := LastAsk(rec)
	if !ok || !sameID(ask.ID, t.AskedBy) {
		return nil
	}
	asked, err1 := time.Parse(time.RFC3339, ask.At)
	due, err2 := time.Parse(time.RFC3339, t.Due)
	if err1 != nil || err2 != nil {
		return retry.Permanent(fmt.Errorf("scheduling the step after reminder %d of %s: %v", t.Number, t.RequestID, errors.Join(err1, err2)))
	}
	steps, _ := h.Config.Plan(rec.RequestID, ask.ID, asked, remindersBefore(rec, asked), h.Now())
	for _, s := range steps {
		if s.At.After(due) {
			return h.schedule(ctx, s)
		}
	}
	return nil
}

// Fire carries out a step that fired, if it still applies.
func (h *Handler) Fire(ctx context.Context, m broker.Msg) error {
	var t Timer
	if err := json.Unmarshal(m.Data, &t); err != nil || !events.ValidRequestID(t.RequestID) {
		return retry.Permanent(fmt.Errorf("invalid reminder timer on %s: %v", m.Subject, err))
	}
	caught, err := h.Projection.WaitCaughtUp(ctx, time.Second)
	if err != nil {
		return err
	}
	if !caught {
		h.Logger.Debug("reminder step waits for the projection", "request_id", t.RequestID, "step", t.Step, "number", t.Number)
		return retry.After(errors.New("waiting for the projection to fold every event before deciding"), time.Second)
	}
	rec, err := h.Requests.Get(ctx, t.RequestID)
	if errors.Is(err, lifecycle.ErrNotFound) {
		h.Logger.Warn("reminder timer for an unknown request", "request_id", t.RequestID)
		return nil
	}
	if err != nil {
		return err
	}
	if err := h.scheduleNext(ctx, rec, t); err != nil {
		return err
	}
	v, why := Decide(rec, t)
	h.Logger.Debug("reminder step fired", "request_id", t.RequestID, "step", t.Step, "number", t.Number, "verdict", v, "deliveries", m.Deliveries)
	switch v {
	case Remind:
		return h.remind(ctx, rec, t)
	case Expire:
		return h.expire(ctx, rec, t)
	case ExpiryEmail:
		return h.tellExpired(ctx, rec, t)
	}
	h.Logger.Debug("reminder step no longer applies", "request_id", t.RequestID, "step", t.Step, "number", t.Number, "why", why)
	return nil
}

// replyPath is where the request's reseller answers: the mailbox the text
// names (their region's support mailbox, or none for the workflow inbox)
// and the tokenised Reply-To of that mailbox.
func (h *Handler) replyPath(rec lifecycle.Record) (channel, mailbox, replyTo string, err error) {
	channel, mailbox, replyTo, err = mailer.ReplyPath(h.ReplyKey, rec.RequestID, rec.ReplyChannel, rec.SupportMailbox, h.Inbox)
	if err != nil {
		return "", "", "", retry.Permanent(fmt.Errorf("reply address for %s: %w", rec.RequestID, err))
	}
	return channel, mailbox, replyTo, nil
}

// message addresses a mail about rec to its contact, in the thread of the
// confirmation, with the Reply-To of replyPath.
func (h *Handler) message(rec lifecycle.Record, kind, replyTo, subject, text, html string) mailer.Message {
	c := rec.Request.Reseller.PrimaryContact
	msg := mailer.Message{
		MessageID: mailer.MessageID(h.ReplyKey, rec.RequestID, kind, h.Domain),
		To:        mailer.Address{Name: c.Name, Email: c.Email},
		ReplyTo:   replyTo,
		Subject:   subject, Text: text, HTML: html,
	}
	if rec.Confirmation != nil {
		msg.InReplyTo, msg.References = rec.Confirmation.MessageID, []string{rec.Confirmation.MessageID}
	}
	return msg
}

// langOf is the language of the request's reseller.
func langOf(rec lifecycle.Record) mailer.Lang {
	return mailer.LangFor(rec.Request.Reseller.Country, "")
}

func (h *Handler) remind(ctx context.Context, rec lifecycle.Record, t Timer) error {
	if rec.Request == nil {
		return retry.Permanent(fmt.Errorf("reminder for %s: the record has no request", rec.RequestID))
	}
	asked, err1 := time.Parse(time.RFC3339, t.WaitingSince)
	expires, err2 := time.Parse(time.RFC3339, t.ExpiresAt)
	if err := errors.Join(err1, err2); err != nil {
		return retry.Permanent(fmt.Errorf("reminder timer for %s: %w", rec.RequestID, err))
	}
	channel, mailbox, replyTo, err := h.replyPath(rec)
	if err != nil {
		return err
	}
	subject, text, html, err := mailer.Render(mailer.ReminderData{
		RequestID: rec.RequestID, ContactName: rec.Request.Reseller.PrimaryContact.Name, CustomerName: rec.Request.Customer.Name,
		Number: t.Number, Last: t.Last, AskedAt: asked, ExpiresAt: expires,
		RootEmail: rec.Known.RootEmail, Nickname: rec.Known.Nickname, AWSAccountName: aws.AccountName(rec.Known.Nickname),
		SupportType: rec.Known.SupportType, Problems: rec.Problems,
		ReplyChannel: channel, SupportMailbox: mailbox, Lang: langOf(rec), Sig: h.Sig,
	})
	if err != nil {
		return fmt.Errorf("reminder %d for %s: %w", t.Number, rec.RequestID, err)
	}
	n := strconv.Itoa(t.Number)
	msg := h.message(rec, mailer.KindReminder+"."+n, replyTo, subject, text, html)
	// The reminder.sent event, under its deterministic id, is the record
	// that the email went.
	eventID := events.DerivedID("reminder-sent", rec.RequestID, n)
	sent, err := h.Outbox.SendMarked(ctx, effect.Key(mailer.KindReminder, rec.RequestID, n), mailer.KindReminder, msg, effect.Mark{
		Subject: events.SubjectReminderSent, MsgID: eventID,
		Publish: func(ctx context.Context) error {
			ev := events.ReminderSent{RequestID: rec.RequestID, Number: t.Number, MessageID: msg.MessageID, Recipient: msg.To.Email,
				WaitingSince: t.WaitingSince, SentAt: events.Time(h.Now())}
			_, err := events.Publish(ctx, h.JS, ev, eventID, source, events.Envelope{})
			return err
		},
	})
	if err != nil {
		return err
	}
	h.Logger.Info("reminder", "request_id", rec.RequestID, "number", t.Number, "sent_now", sent)
	return nil
}

// expire publishes acct.expired; the email follows once the projection
// has accepted it: a reply that arrived first wins, and then no one is told
// the request closed.
func (h *Handler) expire(ctx context.Context, rec lifecycle.Record, t Timer) error {
	ev := events.RequestExpired{RequestID: rec.RequestID, WaitingSince: t.WaitingSince, ExpiredAt: events.Time(h.Now())}
	evID := events.DerivedID("request-expired", rec.RequestID, t.AskedBy)
	ack, err := events.Publish(ctx, h.JS, ev, evID, source, events.Envelope{})
	if err != nil {
		return err
	}
	h.Logger.Info("request expired", "request_id", rec.RequestID, "waiting_since", t.WaitingSince)
	// Whether it took is the projection's to say, once it has folded
	// every event up to it (a reply published just before wins).
	folded, err := h.Projection.WaitHandled(ctx, ack.Sequence, 2*time.Second)
	if err != nil {
		return err
	}
	if !folded {
		// The redelivery finds the request expired and tells the reseller.
		return retry.After(fmt.Errorf("request %s expired: the reseller is told once the projection has it", rec.RequestID), time.Second)
	}
	if rec, err = h.Requests.Get(ctx, rec.RequestID); err != nil {
		return err
	}
	if v, why := Decide(rec, t); v != ExpiryEmail {
		h.Logger.Info("expiry not accepted, the reseller is not told", "request_id", rec.RequestID, "why", why)
		return nil
	}
	return h.tellExpired(ctx, rec, t)
}

func (h *Handler) tellExpired(ctx context.Context, rec lifecycle.Record, t Timer) error {
	if rec.Request == nil {
		return retry.Permanent(fmt.Errorf("expiry of %s: the record has no request", rec.RequestID))
	}
	asked, err := time.Parse(time.RFC3339, t.WaitingSince)
	if err != nil {
		return retry.Permanent(fmt.Errorf("expiry timer for %s: %w", rec.RequestID, err))
	}
	_, _, replyTo, err := h.replyPath(rec)
	if err != nil {
		return err
	}
	subject, text, html, err := mailer.Render(mailer.ExpiryData{
		RequestID: rec.RequestID, ContactName: rec.Request.Reseller.PrimaryContact.Name, CustomerName: rec.Request.Customer.Name,
		AskedAt: asked, Reminders: len(rec.Reminders), Lang: langOf(rec), Sig: h.Sig,
	})
	if err != nil {
		return fmt.Errorf("expiry of %s: %w", rec.RequestID, err)
	}
	msg := h.message(rec, mailer.KindExpiry, replyTo, subject, text, html)
	sent, err := h.Outbox.Send(ctx, effect.Key(mailer.KindExpiry, rec.RequestID), mailer.KindExpiry, msg)
	if err != nil {
		return err
	}
	h.Logger.Info("expiry email", "request_id", rec.RequestID, "sent_now", sent)
	return nil
}
