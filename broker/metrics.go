package broker

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the per-handler Prometheus series.
type Metrics struct {
	Processed    *prometheus.CounterVec
	Failed       *prometheus.CounterVec
	DeadLettered *prometheus.CounterVec
	Latency      *prometheus.HistogramVec
}

// NewMetrics registers the handler series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_handler_processed_total", Help: "Messages a handler finished (acked).",
		}, []string{"handler"}),
		Failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_handler_failed_total", Help: "Handler attempts that failed temporarily and will be redelivered.",
		}, []string{"handler"}),
		DeadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_handler_dead_lettered_total", Help: "Messages moved to ACCOUNTS_DLQ.",
		}, []string{"handler"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "acctflow_handler_duration_seconds", Help: "Time to handle one message.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"handler"}),
	}
	reg.MustRegister(m.Processed, m.Failed, m.DeadLettered, m.Latency)
	return m
}

// lagCollector reports each consumer's pending and unacknowledged counts at
// scrape time.
type lagCollector struct {
	consumers map[string]jetstream.Consumer
	pending   *prometheus.Desc
	ackPend   *prometheus.Desc
}

// RegisterLag exposes consumer lag for the given handlers' consumers.
func RegisterLag(reg prometheus.Registerer, consumers map[string]jetstream.Consumer) error {
	return reg.Register(&lagCollector{
		consumers: consumers,
		pending: prometheus.NewDesc("acctflow_consumer_pending_messages",
			"Messages in the stream not yet delivered to the handler's consumer.", []string{"handler"}, nil),
		ackPend: prometheus.NewDesc("acctflow_consumer_ack_pending_messages",
			"Messages delivered but not yet acknowledged.", []string{"handler"}, nil),
	})
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.ackPend
}

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for name, cons := range c.consumers {
		info, err := cons.Info(ctx)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(info.NumPending), name)
		ch <- prometheus.MustNewConstMetric(c.ackPend, prometheus.GaugeValue, float64(info.NumAckPending), name)
	}
}
