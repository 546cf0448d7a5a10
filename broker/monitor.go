package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/health"
)

// Monitor keeps what /metrics and /readyz report about NATS — each
// handler's consumer figures, whether the streams exist — in a cache that a
// background loop refreshes. A scrape or a probe reads the cache and answers
// at once, even while a cluster elects a leader and every JetStream API call
// waits for its timeout.
type Monitor struct {
	conn    *Conn
	every   time.Duration
	timeout time.Duration
	log     *slog.Logger

	mu        sync.RWMutex
	consumers map[string]jetstream.Consumer
	figures   map[string]consumerFigures
	streamErr error     // the last stream check's verdict
	checked   time.Time // when a stream check last completed
	lastOK    time.Time // when a stream check last succeeded
	added     chan struct{}

	pending, ackPend, age *prometheus.Desc
}

type consumerFigures struct {
	pending, ackPending uint64
	at                  time.Time
}

// NewMonitor returns a Monitor refreshing every interval (default 5s); run
// it with Run and register it as a Prometheus collector.
func NewMonitor(conn *Conn, every time.Duration, log *slog.Logger) *Monitor {
	if every <= 0 {
		every = 5 * time.Second
	}
	return &Monitor{
		conn: conn, every: every, timeout: 2 * time.Second, log: log,
		consumers: map[string]jetstream.Consumer{},
		figures:   map[string]consumerFigures{},
		added:     make(chan struct{}, 1),
		pending: prometheus.NewDesc("acctflow_consumer_pending_messages",
			"Messages in the stream not yet delivered to the handler's consumer.", []string{"handler"}, nil),
		ackPend: prometheus.NewDesc("acctflow_consumer_ack_pending_messages",
			"Messages delivered but not yet acknowledged.", []string{"handler"}, nil),
		age: prometheus.NewDesc("acctflow_consumer_info_age_seconds",
			"Age of the cached consumer figures (they are refreshed in the background).", []string{"handler"}, nil),
	}
}

// AddConsumer reports a handler's consumer (Run does it for every handler
// when RouterConfig.Monitor is set).
func (m *Monitor) AddConsumer(name string, c jetstream.Consumer) {
	m.mu.Lock()
	m.consumers[name] = c
	m.mu.Unlock()
	select {
	case m.added <- struct{}{}:
	default:
	}
}

// Run refreshes the cache until ctx ends.
func (m *Monitor) Run(ctx context.Context) error {
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		m.refresh(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-m.added:
		}
	}
}

func (m *Monitor) refresh(ctx context.Context) {
	defer func() {
		if v := recover(); v != nil && m.log != nil {
			m.log.Error("NATS monitor panicked", "panic", v)
		}
	}()
	sctx, cancel := context.WithTimeout(ctx, m.timeout)
	err := Ready(sctx, m.conn.JS)
	cancel()
	if ctx.Err() != nil {
		return
	}
	m.mu.Lock()
	m.streamErr, m.checked = err, time.Now()
	if err == nil {
		m.lastOK = m.checked
	}
	consumers := make(map[string]jetstream.Consumer, len(m.consumers))
	for k, v := range m.consumers {
		consumers[k] = v
	}
	m.mu.Unlock()
	for name, c := range consumers {
		cctx, cancel := context.WithTimeout(ctx, m.timeout)
		info, err := c.Info(cctx)
		cancel()
		if err != nil {
			continue // keep the last figures; their age says how old they are
		}
		m.mu.Lock()
		m.figures[name] = consumerFigures{pending: info.NumPending, ackPending: uint64(info.NumAckPending), at: time.Now()}
		m.mu.Unlock()
	}
}

// Describe implements prometheus.Collector.
func (m *Monitor) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.pending
	ch <- m.ackPend
	ch <- m.age
}

// Collect implements prometheus.Collector from the cache: it never waits for
// NATS.
func (m *Monitor) Collect(ch chan<- prometheus.Metric) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := time.Now()
	for name, f := range m.figures {
		ch <- prometheus.MustNewConstMetric(m.pending, prometheus.GaugeValue, float64(f.pending), name)
		ch <- prometheus.MustNewConstMetric(m.ackPend, prometheus.GaugeValue, float64(f.ackPending), name)
		ch <- prometheus.MustNewConstMetric(m.age, prometheus.GaugeValue, now.Sub(f.at).Seconds(), name)
	}
}

// Health reports NATS for /readyz: connected, and the streams found by the
// last check. A check that timed out (an election) keeps the last verdict for
// a while; JetStream silent for longer than staleAfter is not ready.
func (m *Monitor) Health() health.Status {
	s := health.Status{Name: "nats", Kind: "nats", State: "connected", Ready: true}
	if !m.conn.NC.IsConnected() {
		return health.Status{Name: "nats", Kind: "nats", State: m.conn.NC.Status().String(), Reason: "not connected to NATS"}
	}
	m.mu.RLock()
	err, checked, lastOK := m.streamErr, m.checked, m.lastOK
	m.mu.RUnlock()
	staleAfter := 3*m.every + 2*m.timeout
	switch {
	case checked.IsZero():
		s.Ready, s.State, s.Reason = false, "checking", "streams not checked yet"
	case err == nil:
	case errors.Is(err, jetstream.ErrStreamNotFound):
		s.Ready, s.State, s.Reason = false, "unavailable", err.Error()
	case lastOK.IsZero() || time.Since(lastOK) > staleAfter:
		s.Ready, s.State, s.Reason = false, "unavailable", fmt.Sprintf("JetStream not answering: %v", err)
		s.Since = lastOK
	default:
		// One slow answer (a leader election): keep serving, say so.
		s.State, s.Reason = "degraded", fmt.Sprintf("JetStream slow to answer: %v", err)
	}
	return s
}
