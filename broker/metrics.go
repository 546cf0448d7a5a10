package broker

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the per-handler Prometheus series.
type Metrics struct {
	Processed    *prometheus.CounterVec
	Failed       *prometheus.CounterVec
	DeadLettered *prometheus.CounterVec
	Deferred     *prometheus.CounterVec
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
		Deferred: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_handler_deferred_total", Help: "Attempts deferred (a lease held elsewhere, a Retry-After, an open circuit): redelivered later, never dead-lettered for it.",
		}, []string{"handler"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "acctflow_handler_duration_seconds", Help: "Time to handle one message.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"handler"}),
	}
	reg.MustRegister(m.Processed, m.Failed, m.DeadLettered, m.Deferred, m.Latency)
	return m
}
