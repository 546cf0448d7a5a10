// Package outbox sends each email at most once per idempotency key, across
// redeliveries, restarts and replicas, using the KV bucket "mail-sent".
//
// A send is claimed in KV before it happens and marked sent after. When a
// process dies between the SMTP transaction and the mark, nobody can know
// whether the mail left; after the claim's lease expires the next attempt
// sends it again with the same Message-ID. We prefer that one possible
// duplicate (which mail clients thread, and often collapse) over a lost
// confirmation.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Sender delivers one message over SMTP; errors are classified with package
// retry.
type Sender interface {
	Send(ctx context.Context, m mailer.Message) error
}

// Outbox is the idempotent front of a Sender.
type Outbox struct {
	kv     jetstream.KeyValue
	sender Sender
	log    *slog.Logger
	// Lease is how long a claim by a live sender is respected.
	lease   time.Duration
	attempt retry.Policy
	sent    *prometheus.CounterVec
	failed  *prometheus.CounterVec
}

// New returns an outbox over the mail-sent bucket. reg may be nil. sendTimeout
// bounds one SMTP attempt; a claim is respected for as long as a live sender
// could still be trying.
func New(kv jetstream.KeyValue, sender Sender, log *slog.Logger, reg prometheus.Registerer, sendTimeout time.Duration) *Outbox {
	if sendTimeout <= 0 {
		sendTimeout = 30 * time.Second
	}
	o := &Outbox{
		kv: kv, sender: sender, log: log,
		lease:   3*sendTimeout + 10*time.Second,
		attempt: retry.Policy{Initial: 200 * time.Millisecond, Max: 2 * time.Second, Attempts: 3},
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_mail_sent_total", Help: "Emails handed to the SMTP server.",
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_mail_failed_total", Help: "Email attempts that failed, by class (temporary, permanent).",
		}, []string{"kind", "class"}),
	}
	if reg != nil {
		reg.MustRegister(o.sent, o.failed)
	}
	return o
}

type record struct {
	State     string `json:"state"` // sending, sent, failed
	MessageID string `json:"message_id"`
	To        string `json:"to"`
	At        string `json:"at"`
	Error     string `json:"error,omitempty"`
}

var keyChars = regexp.MustCompile(`[^-_=.a-zA-Z0-9]`)

// Key builds an idempotency key from its parts (kind, request id, ...).
func Key(parts ...string) string {
	k := ""
	for i, p := range parts {
		if i > 0 {
			k += "."
		}
		k += keyChars.ReplaceAllString(p, "_")
	}
	return k
}

// ErrBusy means another sender holds a fresh claim on the key.
var ErrBusy = errors.New("another sender is sending this email")

// Send sends m unless the key was sent before. It reports whether this call
// sent it. Temporary SMTP failures are retried briefly here, then returned
// (the handler's message is redelivered later); permanent ones come back
// marked retry.Permanent.
func (o *Outbox) Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error) {
	rev, err := o.claim(ctx, key, m)
	if err != nil {
		return false, err
	}
	if rev == 0 {
		return false, nil // sent before
	}
	err = retry.Do(ctx, o.attempt, func(ctx context.Context) error { return o.sender.Send(ctx, m) })
	if err != nil {
		class := "temporary"
		if retry.IsPermanent(err) {
			class = "permanent"
		}
		o.failed.WithLabelValues(kind, class).Inc()
		// Release the claim so the next attempt need not wait for the lease.
		o.put(context.WithoutCancel(ctx), key, rev, record{State: "failed", MessageID: m.MessageID, Error: err.Error()})
		return false, fmt.Errorf("sending %s email %s: %w", kind, key, err)
	}
	o.sent.WithLabelValues(kind).Inc()
	if err := o.put(context.WithoutCancel(ctx), key, rev, record{State: "sent", MessageID: m.MessageID, To: m.To.Email}); err != nil {
		// The mail is gone; a redelivery may send it again after the lease.
		o.log.Warn("email sent but not recorded", "key", key, "err", err)
	}
	return true, nil
}

// claim returns the revision of our claim, or 0 when the key is already sent.
func (o *Outbox) claim(ctx context.Context, key string, m mailer.Message) (uint64, error) {
	mine := record{State: "sending", MessageID: m.MessageID, To: m.To.Email, At: time.Now().UTC().Format(time.RFC3339Nano)}
	data, _ := json.Marshal(mine)
	for range 5 {
		rev, err := o.kv.Create(ctx, key, data)
		if err == nil {
			return rev, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return 0, fmt.Errorf("claiming email %s: %w", key, err)
		}
		e, err := o.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("reading email claim %s: %w", key, err)
		}
		var cur record
		_ = json.Unmarshal(e.Value(), &cur)
		switch cur.State {
		case "sent":
			return 0, nil
		case "sending":
			at, _ := time.Parse(time.RFC3339Nano, cur.At)
			if left := o.lease - time.Since(at); left > 0 {
				// Come back when the lease ends: either the other sender
				// finished by then, or it died and we take over.
				return 0, retry.After(fmt.Errorf("email %s: %w", key, ErrBusy), left+time.Second)
			}
			o.log.Warn("taking over a stale email claim; the email may go out twice with the same Message-ID", "key", key)
		}
		if rev, err := o.kv.Update(ctx, key, data, e.Revision()); err == nil {
			return rev, nil
		}
	}
	return 0, fmt.Errorf("claiming email %s: %w", key, ErrBusy)
}

func (o *Outbox) put(ctx context.Context, key string, rev uint64, r record) error {
	r.At = time.Now().UTC().Format(time.RFC3339Nano)
	data, _ := json.Marshal(r)
	_, err := o.kv.Update(ctx, key, data, rev)
	return err
}
