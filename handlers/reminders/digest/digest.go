// Package digest mails each region's ops team, once a day, what the
// region's open requests wait for and on whom: details from the reseller
// (with their age and the reminders sent), ops approval, account creation,
// the Role ARN, the support plan group, failures.
//
// A JetStream cron schedule per region (TIMERS, timer.sched.digest.<region>)
// fires the digest; the stream fires each schedule once however many
// processes run, and the email's idempotency key names the firing, so a
// redelivery or a second replica never mails it twice. The digest reads only
// the region's lines in the index of open requests (KV open-requests, kept
// by the projection, a line deleted when its request ends): its cost follows
// what is open, never the history.
package digest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Name is the handler's name in --handlers and its consumer's durable name.
const Name = "digest"

// TimerKind is the kind of the digest schedules.
const TimerKind = "digest"

// Declaration is what the digest touches in NATS: its schedules, the open
// requests index, and the email ledger.
var Declaration = broker.Declaration{
	Name:   Name,
	Inputs: broker.FireSubjects(TimerKind),
	Reads:  []string{broker.BucketOpen},
	Writes: []string{broker.BucketMailSent},
	Timers: []string{TimerKind},
}

// Defaults of the schedule: every day at 07:00.
const (
	DefaultSchedule = "0 0 7 * * *"
	DefaultTimeZone = "UTC"
)

// Region is one ops team and where its digest goes.
type Region struct {
	Name     string
	OpsTeam  string
	OpsEmail string
}

// Index lists a region's open requests.
type Index interface {
	Open(ctx context.Context, region string) ([]lifecycle.Summary, error)
}

// Outbox sends each email once per key.
type Outbox interface {
	Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error)
}

// Handler mails a region's digest when its schedule fires.
type Handler struct {
	Index    Index
	Regions  map[string]Region
	Timers   broker.Timers // to drop the schedule of a region no longer configured
	Outbox   Outbox
	Domain   string         // of Message-IDs
	Location *time.Location // the ops teams' time zone, for dates
	Logger   *slog.Logger
	Now      func() time.Time
}

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

// Ensure makes sure every region has its daily schedule (cron, 6 fields,
// seconds first, in time zone tz). Every replica calls it at start-up; a
// schedule that is already the same is left alone.
func Ensure(ctx context.Context, timers broker.Timers, regions []string, cron, tz string) error {
	for _, r := range regions {
		if err := timers.Cron(ctx, TimerKind, events.KeyOf(r), cron, tz, nil); err != nil {
			return fmt.Errorf("daily digest of %s: %w", r, err)
		}
	}
	return nil
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	fired, ok := broker.ParseFired(m.Subject, m.Header)
	if !ok {
		return retry.Permanent(fmt.Errorf("not a digest timer: %s", m.Subject))
	}
	name, _ := events.IDOfKey(fired.Key)
	region, ok := h.Regions[name]
	if !ok {
		h.Logger.Warn("digest schedule of a region no longer configured: dropped", "region", name)
		return h.Timers.Cancel(ctx, TimerKind, fired.Key)
	}
	now := h.Now().In(h.location())
	// The firing names the email: its next firing time is distinct for
	// every firing. A message with none (replayed by hand) is named by
	// the day.
	firing := keyPart(fired.Next)
	if firing == "" {
		firing = now.Format(time.DateOnly)
	}
	open, err := h.Index.Open(ctx, region.Name)
	if err != nil {
		return err
	}
	data := mailer.DigestData{Region: region.Name, OpsTeam: region.OpsTeam, Now: now, Items: items(open)}
	subject, text, html, err := mailer.Render(data)
	if err != nil {
		return fmt.Errorf("digest of %s: %w", region.Name, err)
	}
	if region.OpsEmail == "" {
		return retry.Permanent(fmt.Errorf("digest of %s: no ops email (regions table ops_email, or --ops-email)", region.Name))
	}
	kind := mailer.KindDigest + "." + events.DerivedID(firing)[:12]
	msg := mailer.Message{
		MessageID: mailer.MessageID(nil, region.Name, kind, h.Domain),
		To:        mailer.Address{Name: region.OpsTeam, Email: region.OpsEmail},
		Subject:   subject, Text: text, HTML: html,
	}
	sent, err := h.Outbox.Send(ctx, events.JoinKey(mailer.KindDigest, region.Name, firing), mailer.KindDigest, msg)
	if err != nil {
		return err
	}
	h.Logger.Info("daily digest", "region", region.Name, "open", len(open), "sent_now", sent)
	return nil
}

// keyPart keeps what KV keys and Message-IDs allow of a time stamp.
func keyPart(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}

func (h *Handler) location() *time.Location {
	if h.Location == nil {
		return time.UTC
	}
	return h.Location
}

// items turns the index's lines into the digest's.
func items(open []lifecycle.Summary) []mailer.DigestItem {
	out := make([]mailer.DigestItem, 0, len(open))
	for _, s := range open {
		it := mailer.DigestItem{RequestID: s.RequestID, Customer: s.Customer, Reseller: s.Reseller, Waiting: string(s.Waiting),
			Stage: string(s.Stage), Reminders: s.Reminders, Held: s.Held, Failure: s.Failure}
		if t, err := time.Parse(time.RFC3339, s.Since); err == nil {
			it.Since = t
		}
		out = append(out, it)
	}
	return out
}
