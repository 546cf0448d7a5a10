package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/retry"
)

// Msg is what a handler receives.
type Msg struct {
	Subject    string
	Header     nats.Header
	Data       []byte
	Env        events.Envelope
	Deliveries uint64 // JetStream's count: failures, deferrals and lost acks alike
	// Attempts counts the deliveries that reached this handler, this one
	// included: Deliveries less those a stopping replica gave back
	// unstarted (0: not known; Attempt then says Deliveries).
	Attempts  uint64
	StreamSeq uint64
	Stored    time.Time // when the server stored it (zero when unknown)
}

// Attempt is the number of this attempt at the message: 1 when no handler
// has seen it before (as far as the broker knows).
func (m Msg) Attempt() uint64 {
	if m.Attempts > 0 {
		return m.Attempts
	}
	return m.Deliveries
}

// Handler is one independent stage: its consumer and its function.
//
// What becomes of an attempt is decided from its error with retry.Classify
// (the retry contract, shared with the effect ledger):
//   - nil: ack.
//   - retry.Permanent: dead-letter now.
//   - retry.After(err, d), and configuration errors (an open circuit): a
//     deferral. The message comes back after d; it is never dead-lettered
//     for it and deferrals do not count towards MaxFailures.
//   - anything else: a failure. Redelivered with capped exponential backoff
//     and jitter, dead-lettered after RouterConfig.MaxFailures failures.
//
// There is no in-process retry around Handle: each delivery is one attempt,
// and effects keep their own attempt budget in the effect ledger.
type Handler struct {
	Name     string
	Subjects []string
	Handle   func(ctx context.Context, m Msg) error
	InFlight int // messages in progress at once in this process (default 64)
	// AckWait is how long the server waits for an ack before it redelivers
	// to another worker (default 30s). While Handle runs, the message is
	// kept alive with a progress heartbeat every AckWait/3, so a slow effect
	// is never handed to a second worker; AckWait only matters when this
	// process dies.
	AckWait time.Duration
	// Timeout bounds one attempt: Handle's context ends then (default
	// DefaultTimeout). Without it a hung call would keep its message alive
	// forever through the heartbeat.
	Timeout time.Duration
	// Effect is the side effect this handler performs (events.EffectEmail,
	// EffectTicket, EffectCreateAccount, EffectRoleCheck), empty for none.
	// When a message of an effect handler is dead-lettered, the request
	// hears of it: the broker publishes acct.effect.failed.
	Effect string
	// EffectKind qualifies Effect, e.g. the email's kind "confirmation".
	EffectKind string
}

// MaxReplicas is how many replicas of one handler each get their full
// InFlight budget; more replicas share MaxReplicas × InFlight.
const MaxReplicas = 16

// ConsumerInFlight is the MaxAckPending of a handler's consumer whose
// processes each keep inFlight messages in progress.
func ConsumerInFlight(inFlight int) int { return inFlight * MaxReplicas }

// DefaultTimeout bounds one attempt of a handler that sets no Timeout.
const DefaultTimeout = 5 * time.Minute

// RouterConfig tunes how handlers run.
type RouterConfig struct {
	Topology Topology
	Logger   *slog.Logger
	Metrics  *Metrics
	// Monitor, when set, serves each handler's consumer figures (lag) from
	// its cache; the caller runs it and registers it.
	Monitor *Monitor
	// MaxFailures dead-letters a message after this many failed deliveries
	// (default 20: about 15 minutes with the default backoff). Deferrals
	// are not failures.
	MaxFailures uint64
	// Redelivery is the delay before a failed message is delivered again,
	// by its number of failures.
	Redelivery retry.Policy
	// ConfigDelay is how long a message waits after a configuration error
	// that carries no delay of its own (default 30s); adapters with a
	// circuit attach the time until their next probe.
	ConfigDelay time.Duration
	Started     func() // called once every handler is consuming
}

// Run provisions each handler's consumer and runs the handlers on a watermill
// router until ctx ends; then it stops fetching, lets in-flight messages
// finish and returns.
func Run(ctx context.Context, conn *Conn, cfg RouterConfig, handlers []Handler) error {
	if cfg.MaxFailures == 0 {
		cfg.MaxFailures = 20
	}
	if cfg.Redelivery.Initial == 0 {
		cfg.Redelivery = retry.Policy{Initial: 500 * time.Millisecond, Max: time.Minute}
	}
	if cfg.ConfigDelay <= 0 {
		cfg.ConfigDelay = 30 * time.Second
	}
	failures, err := conn.JS.KeyValue(ctx, BucketDeliveryFailures)
	if err != nil {
		return fmt.Errorf("opening KV %s: %w", BucketDeliveryFailures, err)
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 30 * time.Second}, watermill.NewSlogLogger(cfg.Logger.With("component", "router")))
	if err != nil {
		return fmt.Errorf("creating router: %w", err)
	}
	oc := &outcome{conn: conn, cfg: cfg, failures: failureCounter{kv: failures}, handlers: map[string]Handler{}, blocked: newBlockedSet()}
	router.AddMiddleware(oc.middleware, traceStep, recoverer)
	for _, h := range handlers {
		inFlight := h.InFlight
		if inFlight == 0 {
			inFlight = DefaultInFlight
		}
		if h.Timeout <= 0 {
			h.Timeout = DefaultTimeout
		}
		// InFlight is this process's budget (the subscriber's slots). The
		// server applies MaxAckPending to the consumer, which every replica
		// shares, so it is sized for MaxReplicas of them: N replicas get
		// N × InFlight messages in flight.
		cons, err := cfg.Topology.EnsureConsumer(ctx, conn.JS, ConsumerSpec{Name: h.Name, Subjects: h.Subjects, AckWait: h.AckWait, MaxInFlight: ConsumerInFlight(inFlight)})
		if err != nil {
			return err
		}
		ackWait := h.AckWait
		if ackWait <= 0 {
			ackWait = defaultAckWait
		}
		oc.handlers[h.Name] = h
		if cfg.Monitor != nil {
			cfg.Monitor.AddConsumer(h.Name, cons)
		}
		sub := &subscriber{
			release: func(m jetstream.Msg) {
				md, err := m.Metadata()
				if err != nil {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				if _, err := oc.failures.released(ctx, h.Name, md.Sequence.Stream); err != nil {
					cfg.Logger.Debug("noting a delivery given back", "handler", h.Name, "err", err)
				}
			},
			consumers: map[string]jetstream.Consumer{h.Name: cons},
			inFlight:  inFlight,
			heartbeat: max(ackWait/3, 10*time.Millisecond),
			timeout:   h.Timeout,
			nakDelay:  func(n uint64) time.Duration { return cfg.Redelivery.Delay(int(n)) },
			logger:    cfg.Logger,
		}
		handle, name := h.Handle, h.Name
		router.AddConsumerHandler(h.Name, h.Name, sub, func(wm *message.Message) error {
			m := fromWatermill(wm)
			m.Attempts = m.Deliveries
			if m.Deliveries > 1 {
				// Deliveries a stopping replica gave back were no attempt.
				if n := oc.failures.releasedBefore(wm.Context(), name, m.StreamSeq); n < m.Deliveries {
					m.Attempts -= n
				}
			}
			return handle(wm.Context(), m)
		})
	}
	go func() {
		<-router.Running()
		if cfg.Started != nil {
			cfg.Started()
		}
	}()
	go func() {
		// The router only stops when closed; closing waits for in-flight
		// messages (up to CloseTimeout).
		<-ctx.Done()
		if err := router.Close(); err != nil {
			cfg.Logger.Warn("closing handlers", "err", err)
		}
	}()
	if err := router.Run(ctx); err != nil {
		return fmt.Errorf("running handlers: %w", err)
	}
	return nil
}

func fromWatermill(wm *message.Message) Msg {
	m := Msg{Subject: wm.Metadata.Get(metaSubject), Data: wm.Payload, Header: nats.Header{}}
	for k, v := range wm.Metadata {
		switch k {
		case metaSubject, metaDeliveries, metaStreamSeq, metaStored, metaNakDelay, "handler_name", "subscriber_name", "subscribe_topic", "publisher_name", "publish_topic":
		default:
			m.Header.Set(k, v)
		}
	}
	m.Deliveries, _ = strconv.ParseUint(wm.Metadata.Get(metaDeliveries), 10, 64)
	m.StreamSeq, _ = strconv.ParseUint(wm.Metadata.Get(metaStreamSeq), 10, 64)
	m.Stored, _ = time.Parse(time.RFC3339Nano, wm.Metadata.Get(metaStored))
	m.Env = events.Read(m.Subject, m.Header, m.Data)
	return m
}

// recoverer turns a panic into a permanent error: a message that crashes a
// handler would crash it again, so it goes to the DLQ with the stack.
func recoverer(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) (out []*message.Message, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = retry.Permanent(fmt.Errorf("panic: %v\n%s", r, debug.Stack()))
			}
		}()
		return h(msg)
	}
}

// outcome records metrics and decides between ack, redelivery and the DLQ:
// the broker's half of the retry contract, in one place.
type outcome struct {
	conn     *Conn
	cfg      RouterConfig
	failures failureCounter
	handlers map[string]Handler // by name; read-only once Run starts
	blocked  *blockedSet
}

func (o *outcome) middleware(h message.HandlerFunc) message.HandlerFunc {
	return func(wm *message.Message) ([]*message.Message, error) {
		name := message.HandlerNameFromCtx(wm.Context())
		hd := o.handlers[name]
		m := fromWatermill(wm)
		if target := m.Header.Get(HeaderReplayFor); target != "" && target != name {
			// A dead letter replayed for another handler: this one handled
			// the original already.
			return nil, nil
		}
		start := time.Now()
		out, err := h(wm)
		o.cfg.Metrics.Latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
		class, delay := retry.Classify(err)
		if class == retry.ClassSuccess {
			o.cfg.Metrics.Processed.WithLabelValues(name).Inc()
			return out, nil
		}
		log := o.cfg.Logger.With("handler", name, "subject", m.Subject, "stream_seq", m.StreamSeq,
			"correlation_id", m.Env.CorrelationID, "deliveries", m.Deliveries)
		nak := func(d time.Duration) ([]*message.Message, error) {
			// Nack here and return no error: the router would log every
			// returned error at ERROR, deferrals included. This middleware
			// has logged it at the level it deserves.
			wm.Metadata.Set(metaNakDelay, d.String())
			wm.Nack()
			return nil, nil
		}
		switch class {
		case retry.ClassDeferred, retry.ClassConfiguration:
			// "Come back later" (a lease, a Retry-After, an open circuit) is
			// not a failure of the message: it never counts towards the
			// dead-letter limit.
			if delay <= 0 {
				delay = o.cfg.Redelivery.Initial
				if class == retry.ClassConfiguration {
					delay = o.cfg.ConfigDelay
				}
			}
			o.cfg.Metrics.Deferred.WithLabelValues(name).Inc()
			if blocked := o.noteBlocked(wm.Context(), hd, m, err); blocked {
				log.Debug("handling deferred: adapter circuit open", "err", err, "retry_in", delay)
			} else {
				log.Info("handling deferred", "err", err, "retry_in", delay)
			}
			return nak(delay)
		case retry.ClassTemporary:
			n, cerr := o.failures.add(wm.Context(), name, m.StreamSeq)
			if cerr != nil {
				// Cannot count, so cannot give up either: try again later.
				o.cfg.Metrics.Failed.WithLabelValues(name).Inc()
				log.Warn("handling failed, will retry (failure not counted)", "err", err, "count_err", cerr)
				return nak(o.cfg.Redelivery.Delay(int(m.Deliveries)))
			}
			if n < o.cfg.MaxFailures {
				o.cfg.Metrics.Failed.WithLabelValues(name).Inc()
				d := o.cfg.Redelivery.Delay(int(n))
				log.Warn("handling failed, will retry", "err", err, "failures", n, "retry_in", d)
				return nak(d)
			}
			err = fmt.Errorf("gave up after %d failed deliveries: %w", n, err)
			if dlqErr := o.deadLetter(wm.Context(), hd, m, n, err); dlqErr != nil {
				log.Error("dead-lettering failed", "err", dlqErr, "cause", err)
				return nak(o.cfg.Redelivery.Delay(int(n)))
			}
		default: // permanent
			if dlqErr := o.deadLetter(wm.Context(), hd, m, 0, err); dlqErr != nil {
				// Not recorded anywhere yet: keep the message and try again.
				log.Error("dead-lettering failed", "err", dlqErr, "cause", err)
				err = errors.Join(err, dlqErr)
				return nak(o.cfg.Redelivery.Delay(int(m.Deliveries)))
			}
		}
		o.cfg.Metrics.DeadLettered.WithLabelValues(name).Inc()
		log.Error("dead-lettered", "err", err)
		return out, nil
	}
}

// Dead-letter headers (DESIGN §3), and the replay headers of `acctflow dlq
// replay`.
const (
	HeaderError      = "acctflow-error"
	HeaderHandler    = "acctflow-handler"
	HeaderDeliveries = "acctflow-deliveries"
	HeaderFailures   = "acctflow-failures"   // failed deliveries counted before giving up (0: permanent)
	HeaderStreamSeq  = "acctflow-stream-seq" // the message's sequence in ACCOUNTS
	HeaderDeadAt     = "acctflow-dead-lettered-at"
	// HeaderReplayFor names the one handler a replayed message is for; the
	// others ack it unseen.
	HeaderReplayFor = "acctflow-replay-for"
	// HeaderReplayOf is the ACCOUNTS_DLQ sequence a message was replayed from.
	HeaderReplayOf = "acctflow-replay-of"
)

// DLQSubjectPrefix prefixes the original subject of a dead letter.
const DLQSubjectPrefix = "dlq."

// maxReason bounds the reason kept in a header and in acct.effect.failed.
const maxReason = 2000

func (o *outcome) deadLetter(ctx context.Context, hd Handler, m Msg, failures uint64, cause error) error {
	h := nats.Header{}
	for k, v := range m.Header {
		h[k] = v
	}
	withoutSchedule(h)
	reason := oneLine(cause.Error(), maxReason)
	h.Set(HeaderError, reason)
	h.Set(HeaderHandler, hd.Name)
	h.Set(HeaderDeliveries, strconv.FormatUint(m.Deliveries, 10))
	h.Set(HeaderFailures, strconv.FormatUint(failures, 10))
	h.Set(HeaderStreamSeq, strconv.FormatUint(m.StreamSeq, 10))
	h.Set(HeaderDeadAt, events.Time(time.Now()))
	h.Del(HeaderReplayFor)
	// ce-id is what every derived id comes from: keep it even when the
	// producer sent none, so a replay yields the same ids.
	h.Set(events.HeaderID, m.Env.ID)
	// The request it is about, for listings that read headers only: an
	// upstream system publishes with none.
	if h.Get(events.HeaderSubject) == "" {
		if id, _ := requestRef(m.Data); id != "" {
			h.Set(events.HeaderSubject, id)
		}
	}
	// One DLQ record per (handler, original message), however often we retry.
	dlqID := events.DerivedID("dlq", hd.Name, strconv.FormatUint(m.StreamSeq, 10), m.Env.ID)
	h.Set(events.HeaderMsgID, dlqID)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	ack, err := o.conn.JS.PublishMsg(ctx, &nats.Msg{Subject: DLQSubjectPrefix + m.Subject, Header: h, Data: m.Data})
	if err != nil {
		return err
	}
	if hd.Effect == "" {
		return nil
	}
	return o.publishFailed(ctx, hd, m, events.OutcomeDeadLettered, reason, ack.Sequence, events.DerivedID("effect-failed", dlqID))
}
