package effect

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Sender makes one SMTP delivery attempt (one connection); its errors are
// classified with package retry.
type Sender interface {
	Send(ctx context.Context, m mailer.Message) error
}

// Email budget: at most EmailBudget SMTP connections for one email over its
// whole life, EmailBackoff apart (each hold jittered in [d/2, d]): 10 s,
// 20 s, 40 s, 80 s, 160 s, 5 min, 5 min, so a failing email is given up
// (dead-lettered) 7.5 to 15 minutes after its first attempt. A 5xx answer
// gives up at once, after one connection.
const EmailBudget = 8

// EmailBackoff is the hold after each failed attempt (see EmailBudget).
var EmailBackoff = retry.Policy{Initial: 10 * time.Second, Max: 5 * time.Minute}

// EmailConfig tunes an Email.
type EmailConfig struct {
	Owner       string        // see NewLedger
	SMTPTimeout time.Duration // --smtp-timeout; one attempt may take three of them
	Budget      int           // default EmailBudget
	Backoff     retry.Policy  // default EmailBackoff
	Marks       Marks         // where SendMarked's events are looked for; nil: never found
	Logger      *slog.Logger
	Registerer  prometheus.Registerer // nil: metrics unregistered
}

// Email sends each email at most once per key through the ledger, with one
// exception chosen on purpose: when a process dies between the SMTP
// transaction and its record, nobody can know whether the mail left, and
// after the claim's lease the email is sent again with the same Message-ID
// (which mail clients thread, and often collapse) rather than risk a lost
// confirmation. For SendMarked the email's event is its record, and the
// event found in the stream rules the resend out.
type Email struct {
	ledger *Ledger
	sender Sender
	marks  Marks
	policy Policy
	log    *slog.Logger
	sent   *prometheus.CounterVec
	failed *prometheus.CounterVec
}

// NewEmail returns the email effect over the mail-sent bucket.
func NewEmail(kv KV, sender Sender, cfg EmailConfig) *Email {
	if cfg.SMTPTimeout <= 0 {
		cfg.SMTPTimeout = 30 * time.Second
	}
	if cfg.Budget <= 0 {
		cfg.Budget = EmailBudget
	}
	if cfg.Backoff.Initial <= 0 {
		cfg.Backoff = EmailBackoff
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	timeout := 3 * cfg.SMTPTimeout // connecting, then each command, may take one
	e := &Email{
		ledger: NewLedger(kv, cfg.Owner, cfg.Logger),
		sender: sender, marks: cfg.Marks, log: cfg.Logger,
		policy: Policy{Lease: timeout + 10*time.Second, Timeout: timeout, Budget: cfg.Budget, Backoff: cfg.Backoff},
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_mail_sent_total", Help: "Emails handed to the SMTP server.",
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_mail_failed_total", Help: "Email attempts that failed, by class (temporary, deferred, permanent).",
		}, []string{"kind", "class"}),
	}
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(e.sent, e.failed)
	}
	return e
}

// Lease is how long a claim on an email is respected.
func (e *Email) Lease() time.Duration { return e.policy.Lease }

// Mark is the event that records an email as sent (SendMarked).
type Mark struct {
	Subject string // the event's subject
	MsgID   string // its deterministic Nats-Msg-Id
	// Publish publishes the event; it is called once the email is known
	// sent, now or before.
	Publish func(ctx context.Context) error
	// Asked: the email is asked for by this one message only (see
	// Asked); its first delivery sends without a claim, so the email
	// costs no ledger write at all when it goes.
	Asked Asked
}

// Send sends m unless the email with this key (see Key) was sent before,
// and reports whether this call sent it. It costs two ledger writes: the
// claim and the outcome. Errors are for the handler to return: retry.After
// (try again then), retry.Permanent (given up: dead-letter), or a NATS
// failure.
func (e *Email) Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error) {
	return e.send(ctx, key, kind, m, nil)
}

// SendMarked is Send for an email whose event says it was sent: the event,
// published under its deterministic id, is the record of success, so the
// email costs one ledger write (the claim) plus the event, or the event
// alone with Mark.Asked. mark.Publish is
// called whenever the email is known sent; if it fails after a send, the
// ledger records the email sent after all.
func (e *Email) SendMarked(ctx context.Context, key, kind string, m mailer.Message, mark Mark) (bool, error) {
	return e.send(ctx, key, kind, m, &mark)
}

func (e *Email) send(ctx context.Context, key, kind string, m mailer.Message, mark *Mark) (bool, error) {
	eff := Effect{
		Key: key, What: kind + " email " + m.MessageID, Policy: e.policy,
		Attempt: func(ctx context.Context, _ Record) ([]byte, error) {
			err := e.sender.Send(ctx, m)
			if err == nil {
				e.sent.WithLabelValues(kind).Inc()
				return nil, nil
			}
			class := "temporary"
			if retry.IsPermanent(err) {
				class = "permanent"
			} else if _, ok := retry.RetryAfter(err); ok {
				class = "deferred"
			}
			e.failed.WithLabelValues(kind, class).Inc()
			return nil, err
		},
		Resolve: func(ctx context.Context, r Record, _ time.Duration) (Resolution, error) {
			if mark != nil && e.marks != nil && !r.Doubt.IsZero() {
				found, err := e.marks.Find(ctx, mark.Subject, mark.MsgID, r.Doubt)
				if err != nil {
					return Resolution{}, err
				}
				if found {
					return Resolution{Happened: true}, nil
				}
			}
			// Not found: the ledger attempts again (and says so), with the
			// same Message-ID.
			return Resolution{}, nil
		},
	}
	if mark != nil {
		eff.Mark, eff.Asked = mark.Publish, mark.Asked
	}
	out, err := e.ledger.Do(ctx, eff)
	if err != nil {
		return out.Now, err
	}
	if mark != nil && !out.Now {
		// Sent before: its event may not have gone out (the stream drops
		// a second copy within its duplicate window).
		if err := mark.Publish(ctx); err != nil {
			return false, err
		}
	}
	return out.Now, nil
}
