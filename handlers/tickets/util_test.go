package tickets_test

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/retry"
)

func retryAfter(err error) (time.Duration, bool) { return retry.RetryAfter(err) }
func isPermanent(err error) bool                 { return retry.IsPermanent(err) }

// counter reads one series of a counter from reg by its label values,
// given in the order of the label names (sorted, as Gather returns them).
func counter(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var values []string
			for _, l := range m.GetLabel() {
				values = append(values, l.GetValue())
			}
			if slices.Equal(values, labels) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
