package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// Buckets acctflow keeps its state in (DESIGN §3): no other database.
const (
	BucketRequests   = "requests"
	BucketRootEmails = "root-emails"
	BucketMailSent   = "mail-sent"
	BucketIMAPCursor = "imap-cursor"
	BucketTickets    = "tickets"
	BucketAccounts   = "accounts"
	BucketOpen       = "open-requests"
	ObjectMailRaw    = "mail-raw"
)

// StreamProvisioning holds one job per account creation under way, on
// provisioning.> (outside the events' acct.>): the provisioning driver keeps
// a job unacked while AWS works and has JetStream redeliver it to poll, so
// nothing scans finished creations.
const StreamProvisioning = "PROVISIONING"

// DuplicateWindow is how long JetStream drops a message whose Nats-Msg-Id it
// has seen; longer-lived duplicates are caught by the KV records.
const DuplicateWindow = 15 * time.Minute

// Topology says how to provision streams and buckets.
type Topology struct {
	Replicas int // 1 for the embedded server, 3 on a cluster
	// Verify: the topology was provisioned by `acctflow setup` (as admin);
	// EnsureConsumer only binds to a consumer, never creates one.
	Verify bool
	// Retention is how long raw inbound mail is kept after it arrived (0:
	// forever); records of ended requests expire as long after they end
	// (lifecycle.Store.Expiring: a per-message TTL, which the requests
	// bucket always allows).
	Retention time.Duration
}

// DefaultRetention is 400 days: a year's audit and a little more.
const DefaultRetention = 400 * 24 * time.Hour

// MarkerTTL is how long the requests bucket keeps the delete marker of a
// record that expired (nobody watches the bucket for deletes). The server
// raises every per-message TTL to at least this, so it is the least.
const MarkerTTL = time.Second

// ConsumerSpec is one handler's durable pull consumer.
type ConsumerSpec struct {
	Name        string
	Stream      string // default by Subjects: TIMERS for timer subjects, else ACCOUNTS
	Subjects    []string
	AckWait     time.Duration
	MaxInFlight int
}

// Ensure creates or updates the streams, buckets and object store. It is
// idempotent and safe to run from every replica at start-up.
func (t Topology) Ensure(ctx context.Context, js jetstream.JetStream) error {
	r := max(t.Replicas, 1)
	streams := []jetstream.StreamConfig{
		{
			Name:        events.Stream,
			Description: "acctflow events",
			Subjects:    []string{"acct.>"},
			Storage:     jetstream.FileStorage,
			Replicas:    r,
			Duplicates:  DuplicateWindow,
			MaxMsgSize:  1 << 20,
			Discard:     jetstream.DiscardOld,
		},
		{
			Name:        events.DLQStream,
			Description: "acctflow dead letters: original payload and headers plus the reason",
			Subjects:    []string{"dlq.>"},
			Storage:     jetstream.FileStorage,
			Replicas:    r,
			Duplicates:  DuplicateWindow,
		},
		{
			Name:        StreamProvisioning,
			Description: "acctflow account creations under way: one job each, acked when AWS has finished",
			Subjects:    []string{"provisioning.>"},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    r,
			Duplicates:  DuplicateWindow,
		},
	}
	streams = append(streams, timerStreamConfig(r))
	for _, sc := range streams {
		s, err := js.CreateOrUpdateStream(ctx, sc)
		if err != nil {
			return fmt.Errorf("provisioning stream %s: %w", sc.Name, err)
		}
		// A server before 2.12 ignores the setting it does not know, and
		// its timers would never fire.
		if sc.AllowMsgSchedules && !s.CachedInfo().Config.AllowMsgSchedules {
			return fmt.Errorf("provisioning stream %s: the NATS server does not support message schedules (nats-server 2.12 or later is needed)", sc.Name)
		}
	}
	for _, b := range kvBuckets(r) {
		if _, err := js.CreateOrUpdateKeyValue(ctx, b); err != nil {
			return fmt.Errorf("provisioning KV %s: %w", b.Bucket, err)
		}
	}
	if _, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: ObjectMailRaw, Description: "raw inbound messages", Storage: jetstream.FileStorage, Replicas: r, TTL: t.Retention,
	}); err != nil {
		return fmt.Errorf("provisioning object store %s: %w", ObjectMailRaw, err)
	}
	return nil
}

// kvBuckets are the KV buckets Ensure provisions.
func kvBuckets(r int) []jetstream.KeyValueConfig {
	buckets := []jetstream.KeyValueConfig{
		{Bucket: BucketRequests, Description: "lifecycle of each request", History: 5, LimitMarkerTTL: MarkerTTL},
		{Bucket: BucketRootEmails, Description: "root email uniqueness claims"},
		{Bucket: BucketMailSent, Description: "outbound mail idempotency"},
		{Bucket: BucketIMAPCursor, Description: "per mailbox UIDVALIDITY and last UID"},
		{Bucket: BucketTickets, Description: "support-change tickets by change id"},
		{Bucket: BucketAccounts, Description: "per account support history and provisioning state"},
		{Bucket: BucketOpen, Description: "each region's open requests: one line per request, deleted when it ends"},
		{Bucket: BucketDeliveryFailures, Description: "failed deliveries per handler and message (deferrals excluded)", TTL: FailureMemory},
	}
	for i := range buckets {
		buckets[i].Storage = jetstream.FileStorage
		buckets[i].Replicas = r
	}
	return buckets
}

// EnsureConsumer creates or updates a handler's durable consumer (with
// Verify, only binds to it). Replicas of the handler bind to the same
// consumer, so each message goes to one of them. A consumer of timer
// subjects (FireSubjects) reads TIMERS, any other one ACCOUNTS, unless its
// Stream says otherwise.
func (t Topology) EnsureConsumer(ctx context.Context, js jetstream.JetStream, c ConsumerSpec) (jetstream.Consumer, error) {
	stream, err := c.stream()
	if err != nil {
		return nil, fmt.Errorf("provisioning consumer %s: %w", c.Name, err)
	}
	if t.Verify {
		cons, err := js.Consumer(ctx, stream, c.Name)
		if err != nil {
			return nil, fmt.Errorf("consumer %s of stream %s (run acctflow setup): %w", c.Name, stream, err)
		}
		return cons, nil
	}
	cfg := jetstream.ConsumerConfig{
		Durable:        c.Name,
		Description:    "acctflow handler " + c.Name,
		FilterSubjects: c.Subjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        c.AckWait,
		// Dead-lettering is ours (see DeadLetter); JetStream must never stop
		// redelivering on its own, or a message would vanish without a record.
		MaxDeliver:    -1,
		MaxAckPending: c.MaxInFlight,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		Replicas:      max(t.Replicas, 1),
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = 30 * time.Second
	}
	if cfg.MaxAckPending == 0 {
		cfg.MaxAckPending = 256
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("provisioning consumer %s: %w", c.Name, err)
	}
	return cons, nil
}

// Ready reports whether the streams exist, for /readyz.
func Ready(ctx context.Context, js jetstream.JetStream) error {
	for _, s := range []string{events.Stream, events.DLQStream, TimerStream} {
		if _, err := js.Stream(ctx, s); err != nil {
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				return fmt.Errorf("stream %s missing: %w", s, err)
			}
			return fmt.Errorf("stream %s: %w", s, err)
		}
	}
	return nil
}

// Provision creates or updates everything the declared handlers need: the
// streams, buckets and object store (Ensure) and every declared consumer.
// `acctflow setup` runs it as admin, and serve with its embedded server.
func (t Topology) Provision(ctx context.Context, js jetstream.JetStream, decls []Declaration) error {
	if err := t.Ensure(ctx, js); err != nil {
		return err
	}
	for _, d := range decls {
		for _, c := range d.ConsumerSpecs() {
			if _, err := t.EnsureConsumer(ctx, js, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// MissingError names what a process needs that setup has not provisioned.
type MissingError struct{ Missing []string }

func (e *MissingError) Error() string {
	return "not provisioned (run acctflow setup as the admin user): " + strings.Join(e.Missing, ", ")
}

// Check verifies that what the declared handlers need exists, creating
// nothing: their consumers, the buckets they read and write and the
// streams. A *MissingError names everything missing; any other error is
// one of reaching JetStream (worth retrying).
func Check(ctx context.Context, js jetstream.JetStream, decls []Declaration) error {
	var missing []string
	for _, s := range []string{events.Stream, events.DLQStream, TimerStream} {
		if _, err := js.Stream(ctx, s); errors.Is(err, jetstream.ErrStreamNotFound) {
			missing = append(missing, "stream "+s)
		} else if err != nil {
			return fmt.Errorf("stream %s: %w", s, err)
		}
	}
	buckets := []string{BucketRequests, BucketDeliveryFailures}
	for _, d := range decls {
		buckets = append(append(buckets, d.Reads...), d.Writes...)
	}
	slices.Sort(buckets)
	for _, b := range slices.Compact(buckets) {
		var err error
		if b == ObjectMailRaw {
			_, err = js.ObjectStore(ctx, b)
		} else {
			_, err = js.KeyValue(ctx, b)
		}
		switch {
		case errors.Is(err, jetstream.ErrBucketNotFound), errors.Is(err, jetstream.ErrStreamNotFound):
			missing = append(missing, "bucket "+b)
		case err != nil:
			return fmt.Errorf("bucket %s: %w", b, err)
		}
	}
	for _, d := range decls {
		for _, c := range d.ConsumerSpecs() {
			s, err := c.stream()
			if err != nil {
				return err
			}
			_, err = js.Consumer(ctx, s, c.Name)
			switch {
			case errors.Is(err, jetstream.ErrConsumerNotFound), errors.Is(err, jetstream.ErrStreamNotFound):
				missing = append(missing, "consumer "+s+"/"+c.Name)
			case err != nil:
				return fmt.Errorf("consumer %s/%s: %w", s, c.Name, err)
			}
		}
	}
	if len(missing) > 0 {
		return &MissingError{Missing: missing}
	}
	return nil
}
