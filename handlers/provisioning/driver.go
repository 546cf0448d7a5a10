package provisioning

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Organizations is the part of AWS Organizations the driver calls.
type Organizations interface {
	CreateAccount(ctx context.Context, in aws.CreateInput) (string, error)
	Status(ctx context.Context, carID string) (aws.CreateStatus, error)
}

// Outbox sends each email once per key.
type Outbox interface {
	Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error)
}

// Driver carries queued creations through AWS: CreateAccount, then
// DescribeCreateAccountStatus with backoff until SUCCEEDED or FAILED. It is
// a background job (Run); all its state is in KV accounts, so a restart, or
// another replica after the lease, picks up where it stopped.
type Driver struct {
	Accounts jetstream.KeyValue // KV accounts
	Requests Requests
	Orgs     Organizations
	JS       events.Publisher
	Outbox   Outbox
	Domain   string // of Message-IDs
	ReplyKey []byte
	Inbox    string // workflow inbox address
	Sig      mailer.Signature
	OpsEmail string
	RoleName string // --aws-role-name

	// MaxConcurrent bounds the creations this process has in progress at
	// once (--aws-max-concurrent, default 5): a per-process slot count, so
	// n replicas may run n times as many.
	MaxConcurrent int
	Deadline      time.Duration // --aws-create-deadline (default 30m): alert ops once, keep polling
	Every         time.Duration // how often the records are scanned (default 2s)
	PollPolicy    retry.Policy  // between polls of one creation (default 5s doubling to 1m)
	Throttle      retry.Policy  // before a throttled CreateAccount is tried again (default 2s to 2m)
	Lease         time.Duration // a silent owner's records are taken over after this (default 2m)
	Owner         string        // this driver's identity (default random)
	Logger        *slog.Logger
	Now           func() time.Time

	// Touched only by the Run goroutine.
	nextPoll map[string]time.Time
	polls    map[string]int
}

func (d *Driver) defaults() {
	if d.MaxConcurrent <= 0 {
		d.MaxConcurrent = 5
	}
	if d.Deadline <= 0 {
		d.Deadline = 30 * time.Minute
	}
	if d.Every <= 0 {
		d.Every = 2 * time.Second
	}
	if d.PollPolicy.Initial <= 0 {
		d.PollPolicy = retry.Policy{Initial: 5 * time.Second, Max: time.Minute}
	}
	if d.Throttle.Initial <= 0 {
		d.Throttle = retry.Policy{Initial: 2 * time.Second, Max: 2 * time.Minute}
	}
	if d.Lease <= 0 {
		d.Lease = 2 * time.Minute
	}
	if d.Owner == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		d.Owner = "driver-" + hex.EncodeToString(b[:])
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.nextPoll == nil {
		d.nextPoll, d.polls = map[string]time.Time{}, map[string]int{}
	}
}

// Run scans and drives creations until ctx ends. A failed scan is logged
// and retried on the next tick: AWS or NATS trouble must not stop the job.
func (d *Driver) Run(ctx context.Context) error {
	d.defaults()
	t := time.NewTicker(d.Every)
	defer t.Stop()
	for {
		if err := d.Tick(ctx); err != nil && ctx.Err() == nil {
			d.Logger.Warn("provisioning scan failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Tick makes one pass: polls the creations this driver owns that are due,
// takes over abandoned ones, then starts queued ones, oldest first, while
// slots are free.
func (d *Driver) Tick(ctx context.Context) error {
	d.defaults()
	st := records{kv: d.Accounts}
	ids, err := st.list(ctx)
	if err != nil {
		return err
	}
	type entry struct {
		c   Creation
		rev uint64
	}
	var queued []entry
	active := 0
	var errs []error
	for _, id := range ids {
		c, rev, err := st.get(ctx, id)
		if err != nil || rev == 0 {
			errs = append(errs, err)
			continue
		}
		if (c.State == StatePolling || c.State == StateCreating) && c.Owner == d.Owner {
			active++
		}
		switch Decide(c, d.Owner, d.Now(), d.Lease) {
		case Start:
			queued = append(queued, entry{c, rev})
		case Poll:
			if c.Owner != d.Owner {
				active++ // taken over: it is ours from now on
			}
			errs = append(errs, d.poll(ctx, c, rev))
		case MarkUnknown:
			errs = append(errs, d.unknown(ctx, c, rev, "the process that claimed CreateAccount stopped before storing the creation request id"))
		}
	}
	slices.SortFunc(queued, func(a, b entry) int { return a.c.QueuedAt.Compare(b.c.QueuedAt) })
	for _, q := range queued {
		if active >= d.MaxConcurrent {
			break
		}
		started, err := d.start(ctx, q.c, q.rev)
		errs = append(errs, err)
		if started {
			active++
		}
	}
	return errors.Join(errs...)
}

func (d *Driver) now() time.Time { return d.Now().UTC() }

// save writes c as owned by us, renewing the heartbeat; errConflict when
// another driver moved it first.
func (d *Driver) save(ctx context.Context, c *Creation, rev *uint64) error {
	c.Owner, c.Heartbeat = d.Owner, d.now()
	r, err := records{kv: d.Accounts}.put(ctx, *c, *rev)
	if err != nil {
		return err
	}
	*rev = r
	return nil
}

// conflict reports a lost compare-and-swap: another driver moved the record,
// which is theirs now, not an error.
func conflict(err error) bool { return errors.Is(err, errConflict) }
