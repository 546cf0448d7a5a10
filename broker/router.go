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
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/retry"
)

// Msg is what a handler receives.
type Msg struct {
	Subject    string
	Header     nats.Header
	Data       []byte
	Env        events.Envelope
	Deliveries uint64
	StreamSeq  uint64
}

// Handler is one independent stage: its consumer and its function. An error
// marked retry.Permanent dead-letters at once; any other error is retried.
type Handler struct {
	Name     string
	Subjects []string
	Handle   func(ctx context.Context, m Msg) error
	InFlight int           // messages in progress at once (default 64)
	AckWait  time.Duration // how long one attempt may take before redelivery
}

// RouterConfig tunes how handlers run.
type RouterConfig struct {
	Topology      Topology
	Logger        *slog.Logger
	Metrics       *Metrics
	Registerer    prometheus.Registerer // when set, consumer lag is exported
	MaxDeliveries uint64                // dead-letter after this many failed deliveries (default 8)
	Redelivery    retry.Policy          // delay before a failed message is delivered again
	Started       func()                // called once every handler is consuming
}

// Run provisions each handler's consumer and runs the handlers on a watermill
// router until ctx ends; then it stops fetching, lets in-flight messages
// finish and returns.
func Run(ctx context.Context, conn *Conn, cfg RouterConfig, handlers []Handler) error {
	if cfg.MaxDeliveries == 0 {
		cfg.MaxDeliveries = 20 // with the default backoff, about 15 minutes of failures
	}
	if cfg.Redelivery.Initial == 0 {
		cfg.Redelivery = retry.Policy{Initial: 500 * time.Millisecond, Max: time.Minute}
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 30 * time.Second}, watermill.NewSlogLogger(cfg.Logger.With("component", "router")))
	if err != nil {
		return fmt.Errorf("creating router: %w", err)
	}
	router.AddMiddleware(
		outcome{conn: conn, cfg: cfg}.middleware,
		middleware.Retry{
			MaxRetries:          2,
			InitialInterval:     50 * time.Millisecond,
			MaxInterval:         500 * time.Millisecond,
			Multiplier:          2,
			RandomizationFactor: 0.5,
			ShouldRetry: func(p middleware.RetryParams) bool {
				_, later := retry.RetryAfter(p.Err)
				return !later && !retry.IsPermanent(p.Err)
			},
		}.Middleware,
		recoverer,
	)
	consumers := map[string]jetstream.Consumer{}
	for _, h := range handlers {
		inFlight := h.InFlight
		if inFlight == 0 {
			inFlight = 64
		}
		cons, err := cfg.Topology.EnsureConsumer(ctx, conn.JS, ConsumerSpec{Name: h.Name, Subjects: h.Subjects, AckWait: h.AckWait, MaxInFlight: inFlight})
		if err != nil {
			return err
		}
		consumers[h.Name] = cons
		sub := &subscriber{
			consumers: map[string]jetstream.Consumer{h.Name: cons},
			inFlight:  inFlight,
			nakDelay:  func(n uint64) time.Duration { return cfg.Redelivery.Delay(int(n)) },
			logger:    cfg.Logger,
		}
		handle := h.Handle
		router.AddConsumerHandler(h.Name, h.Name, sub, func(wm *message.Message) error {
			return handle(wm.Context(), fromWatermill(wm))
		})
	}
	if cfg.Registerer != nil {
		if err := RegisterLag(cfg.Registerer, consumers); err != nil {
			return fmt.Errorf("registering consumer lag metrics: %w", err)
		}
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
		case metaSubject, metaDeliveries, metaStreamSeq, metaRetryAfter, "handler_name", "subscriber_name", "subscribe_topic", "publisher_name", "publish_topic":
		default:
			m.Header.Set(k, v)
		}
	}
	m.Deliveries, _ = strconv.ParseUint(wm.Metadata.Get(metaDeliveries), 10, 64)
	m.StreamSeq, _ = strconv.ParseUint(wm.Metadata.Get(metaStreamSeq), 10, 64)
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

// outcome records metrics and decides between ack, redelivery and the DLQ.
type outcome struct {
	conn *Conn
	cfg  RouterConfig
}

func (o outcome) middleware(h message.HandlerFunc) message.HandlerFunc {
	return func(wm *message.Message) ([]*message.Message, error) {
		name := message.HandlerNameFromCtx(wm.Context())
		start := time.Now()
		out, err := h(wm)
		o.cfg.Metrics.Latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
		if err == nil {
			o.cfg.Metrics.Processed.WithLabelValues(name).Inc()
			return out, nil
		}
		m := fromWatermill(wm)
		log := o.cfg.Logger.With("handler", name, "subject", m.Subject, "correlation_id", m.Env.CorrelationID, "deliveries", m.Deliveries)
		// "Come back later" (a lease, a Retry-After) is not a failure of the
		// message and does not count towards dead-lettering.
		if wait, ok := retry.RetryAfter(err); ok && !retry.IsPermanent(err) {
			wm.Metadata.Set(metaRetryAfter, wait.String())
			log.Info("handling deferred", "err", err, "retry_in", wait)
			return nil, err
		}
		if !retry.IsPermanent(err) && m.Deliveries < o.cfg.MaxDeliveries {
			o.cfg.Metrics.Failed.WithLabelValues(name).Inc()
			log.Warn("handling failed, will retry", "err", err)
			return nil, err
		}
		if dlqErr := o.deadLetter(wm.Context(), name, m, err); dlqErr != nil {
			// Not recorded anywhere yet: keep the message and try again.
			log.Error("dead-lettering failed", "err", dlqErr, "cause", err)
			return nil, errors.Join(err, dlqErr)
		}
		o.cfg.Metrics.DeadLettered.WithLabelValues(name).Inc()
		log.Error("dead-lettered", "err", err)
		return out, nil
	}
}

// Dead-letter headers (DESIGN §3).
const (
	HeaderError      = "acctflow-error"
	HeaderHandler    = "acctflow-handler"
	HeaderDeliveries = "acctflow-deliveries"
)

func (o outcome) deadLetter(ctx context.Context, handler string, m Msg, cause error) error {
	h := nats.Header{}
	for k, v := range m.Header {
		h[k] = v
	}
	withoutSchedule(h)
	reason := cause.Error()
	if len(reason) > 2000 {
		reason = reason[:2000]
	}
	h.Set(HeaderError, reason)
	h.Set(HeaderHandler, handler)
	h.Set(HeaderDeliveries, strconv.FormatUint(m.Deliveries, 10))
	// One DLQ record per (handler, original message), however often we retry.
	h.Set(events.HeaderMsgID, events.DerivedID("dlq", handler, strconv.FormatUint(m.StreamSeq, 10), m.Env.ID))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := o.conn.JS.PublishMsg(ctx, &nats.Msg{Subject: "dlq." + m.Subject, Header: h, Data: m.Data})
	return err
}
