package provisioning

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
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

// DriverConsumer is the durable consumer of the provisioning stream that
// every replica's driver shares.
const DriverConsumer = "provisioning-driver"

// DefaultMaxConcurrent is how many creations are under way at once unless
// --aws-max-concurrent says otherwise.
const DefaultMaxConcurrent = 5

// Default CreateAccount policy: AWS refusing for now (throttling, a
// concurrent modification) is tried again up to CreateBudget times,
// CreateBackoff apart; a Retry-After is honoured without counting.
const CreateBudget = 25

// CreateBackoff is the hold after a refused CreateAccount (jittered in [d/2, d]).
var CreateBackoff = retry.Policy{Initial: 2 * time.Second, Max: 2 * time.Minute}

// Driver carries queued creations through AWS: CreateAccount, then
// DescribeCreateAccountStatus with backoff until SUCCEEDED or FAILED (see
// the package doc). All its state is in the ledger and the job's delivery,
// so a restart, or another replica, picks up where it stopped.
type Driver struct {
	JS jetstream.JetStream
	// Topology provisions (or with Verify, finds) the declared consumer
	// DriverConsumer.
	Topology broker.Topology
	Ledger   *effect.Ledger // over KV accounts
	Requests Requests
	Orgs     Organizations
	Outbox   Outbox
	Domain   string // of Message-IDs
	ReplyKey []byte
	Inbox    string // workflow inbox address
	Sig      mailer.Signature
	OpsEmail string
	RoleName string // --aws-role-name

	// MaxConcurrent bounds the creations under way at once across every
	// replica (--aws-max-concurrent, default 5): the consumer's
	// MaxAckPending.
	MaxConcurrent int
	Deadline      time.Duration // --aws-create-deadline (default 30m): alert ops once, keep polling
	PollPolicy    retry.Policy  // between polls of one creation (default 5s doubling to 1m)
	Throttle      retry.Policy  // hold after a refused CreateAccount (default CreateBackoff)
	Budget        int           // refused CreateAccounts before giving up (default CreateBudget)
	Lease         time.Duration // a claim on a CreateAccount call is respected this long (default 2m)
	AckWait       time.Duration // how long one delivery of a job may take (default 30s)
	Logger        *slog.Logger
}

func (d *Driver) defaults() {
	if d.MaxConcurrent <= 0 {
		d.MaxConcurrent = DefaultMaxConcurrent
	}
	if d.Deadline <= 0 {
		d.Deadline = 30 * time.Minute
	}
	if d.PollPolicy.Initial <= 0 {
		d.PollPolicy = retry.Policy{Initial: 5 * time.Second, Max: time.Minute}
	}
	if d.Throttle.Initial <= 0 {
		d.Throttle = CreateBackoff
	}
	if d.Budget <= 0 {
		d.Budget = CreateBudget
	}
	if d.Lease <= 0 {
		d.Lease = 2 * time.Minute
	}
	if d.AckWait <= 0 {
		d.AckWait = 30 * time.Second
	}
}

// Run consumes jobs until ctx ends. Provisioning its consumer is retried
// while NATS is not ready (a cluster still electing its leaders).
func (d *Driver) Run(ctx context.Context) error {
	d.defaults()
	var cons jetstream.Consumer
	err := retry.Do(ctx, retry.Policy{Initial: 250 * time.Millisecond, Max: 5 * time.Second}, func(ctx context.Context) error {
		var err error
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		spec := Declaration.Consumers[0]
		spec.AckWait, spec.MaxInFlight = d.AckWait, d.MaxConcurrent
		cons, err = d.Topology.EnsureConsumer(cctx, d.JS, spec)
		if err != nil {
			d.Logger.Warn("provisioning the driver's consumer, retrying", "err", err)
		}
		return err
	})
	if err != nil {
		return ctx.Err()
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, d.MaxConcurrent)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return // redelivered after AckWait
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			d.handle(ctx, m)
		}()
	}, jetstream.PullMaxMessages(d.MaxConcurrent), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		d.Logger.Debug("consuming provisioning jobs", "err", err)
	}))
	if err != nil {
		return fmt.Errorf("consuming provisioning jobs: %w", err)
	}
	<-ctx.Done()
	cc.Stop()
	<-cc.Closed()
	wg.Wait()
	return ctx.Err()
}

// handle processes one delivery of a job and acks it, or has it
// redelivered when the creation needs another look.
func (d *Driver) handle(ctx context.Context, m jetstream.Msg) {
	var j Job
	if err := json.Unmarshal(m.Data(), &j); err != nil || j.RequestID == "" {
		d.Logger.Error("unreadable provisioning job dropped", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	deliveries := uint64(1)
	if md, err := m.Metadata(); err == nil {
		deliveries = md.NumDelivered
	}
	next, err := d.Process(ctx, j, deliveries, func() { _ = m.InProgress() })
	switch {
	case err == nil && next == 0:
		_ = m.Ack()
	case err == nil:
		_ = m.NakWithDelay(next)
	case retry.IsPermanent(err):
		d.Logger.Error("provisioning job failed for good", "request_id", j.RequestID, "err", err)
		_ = m.Ack()
	default:
		wait, ok := retry.RetryAfter(err)
		if !ok {
			wait = d.PollPolicy.Delay(int(min(deliveries, 20)))
			d.Logger.Warn("provisioning job failed, will retry", "request_id", j.RequestID, "retry_in", wait, "err", err)
		}
		_ = m.NakWithDelay(wait)
	}
}

// Process takes one step of the job's creation (deliveries: how often the
// job has been delivered, for the poll backoff; working: called before a
// long call). It returns when to look again, 0 when the job is finished.
func (d *Driver) Process(ctx context.Context, j Job, deliveries uint64, working func()) (time.Duration, error) {
	d.defaults()
	key := Key(j.RequestID)
	ent, err := d.Ledger.Read(ctx, key)
	if err != nil {
		return 0, err
	}
	c := creationOf(ent)
	a := Plan(ent, c, j)
	switch a {
	case Reopen:
		if ent, err = d.Ledger.Reopen(ctx, key, ent, Creation{Job: j}.data()); err != nil {
			return 0, err // lost to another writer: look again
		}
		d.Logger.Info("account creation reopened", "request_id", j.RequestID, "round", ent.Round, "retry", j.Retry)
		return d.start(ctx, j, ent, working)
	case Start:
		return d.start(ctx, j, ent, working)
	case Poll:
		return d.poll(ctx, ent, c, deliveries)
	case Finish:
		return 0, d.failed(ctx, ent, c, refusal(c, ent.Error))
	case Alert:
		return 0, d.alertUnknown(ctx, c, ent.Round, ent.Error)
	case Refuse:
		d.Logger.Error("approval refused: the root email already failed", "request_id", j.RequestID, "email_reason", c.FailureReason)
	default:
		d.Logger.Debug("provisioning job absorbed", "request_id", j.RequestID, "state", ent.State, "status", c.Status)
	}
	return 0, nil
}
