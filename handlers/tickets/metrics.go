package tickets

import "github.com/prometheus/client_golang/prometheus"

// Metrics count tickets by system and failed attempts by class (temporary,
// unknown, permanent); a permanent failure is a misconfigured help desk that
// someone must look at.
type Metrics struct {
	Opened *prometheus.CounterVec
	Failed *prometheus.CounterVec
}

// NewMetrics registers the series on reg; a nil reg keeps them unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Opened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_tickets_opened_total", Help: "Support-change tickets opened, by system.",
		}, []string{"system"}),
		Failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_tickets_failed_total", Help: "Ticket attempts that failed, by system and class (temporary, unknown, permanent).",
		}, []string{"system", "class"}),
	}
	if reg != nil {
		reg.MustRegister(m.Opened, m.Failed)
	}
	return m
}
