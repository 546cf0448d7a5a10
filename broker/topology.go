package broker

import (
	"context"
	"errors"
	"fmt"
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
	for _, b := range []jetstream.KeyValueConfig{
		{Bucket: BucketRequests, Description: "lifecycle of each request", History: 5, LimitMarkerTTL: MarkerTTL},
		{Bucket: BucketRootEmails, Description: "root email uniqueness claims"},
		{Bucket: BucketMailSent, Description: "outbound mail idempotency"},
		{Bucket: BucketIMAPCursor, Description: "per mailbox UIDVALIDITY and last UID"},
		{Bucket: BucketTickets, Description: "support-change tickets by change id"},
		{Bucket: BucketAccounts, Description: "per account support history and provisioning state"},
		{Bucket: BucketOpen, Description: "each region's open requests: one line per request, deleted when it ends"},
		{Bucket: BucketDeliveryFailures, Description: "failed deliveries per handler and message (deferrals excluded)", TTL: FailureMemory},
	} {
		b.Storage = jetstream.FileStorage
		b.Replicas = r
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

// EnsureConsumer creates or updates a handler's durable consumer. Replicas of
// the handler bind to the same consumer, so each message goes to one of them.
// A consumer of timer subjects (FireSubjects) reads TIMERS, any other one
// ACCOUNTS.
func (t Topology) EnsureConsumer(ctx context.Context, js jetstream.JetStream, c ConsumerSpec) (jetstream.Consumer, error) {
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
	stream, err := streamFor(c.Subjects)
	if err != nil {
		return nil, fmt.Errorf("provisioning consumer %s: %w", c.Name, err)
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
