package broker_test

import (
	"strings"
	"testing"

	"github.com/acctflow/acctflow/broker"
)

func TestCheckDeclarations(t *testing.T) {
	ok := broker.Declaration{Name: "a", Inputs: []string{"acct.requested"}, Writes: []string{broker.BucketMailSent}}
	for _, c := range []struct {
		name  string
		decls []broker.Declaration
		want  string
	}{
		{"fine", []broker.Declaration{ok, {Name: "api", Reads: []string{broker.ObjectMailRaw}},
			{Name: "upstream", Outputs: []string{"acct.requested"}, External: true}}, ""},
		{"external reads", []broker.Declaration{{Name: "up", Outputs: []string{"acct.requested"}, Reads: []string{broker.BucketAccounts}, External: true}}, "only publishes"},
		{"no name", []broker.Declaration{{Inputs: []string{"acct.requested"}}}, "no name"},
		{"twice", []broker.Declaration{ok, ok}, "consumer a declared twice"},
		{"two streams", []broker.Declaration{{Name: "b", Inputs: []string{"acct.created", "timer.fire.x.>"}}}, "mix timers and events"},
		{"unknown bucket", []broker.Declaration{{Name: "c", Reads: []string{"nowhere"}}}, "unknown bucket nowhere"},
	} {
		err := broker.CheckDeclarations(c.decls)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// The consumer setup provisions for a handler leaves every replica its own
// in-flight budget; an extra consumer (the provisioning driver's, whose
// limit is global) keeps its own.
func TestConsumerSpecsBudgetPerReplica(t *testing.T) {
	d := broker.Declaration{Name: "h", Inputs: []string{"acct.x"}, InFlight: 8,
		Consumers: []broker.ConsumerSpec{{Name: "jobs", Subjects: []string{"acct.y"}, MaxInFlight: 3}}}
	specs := d.ConsumerSpecs()
	if got, want := specs[0].MaxInFlight, broker.ConsumerInFlight(8); got != want {
		t.Errorf("handler consumer MaxAckPending %d, want %d (InFlight × MaxReplicas)", got, want)
	}
	if specs[1].MaxInFlight != 3 {
		t.Errorf("extra consumer MaxAckPending %d, want its declared 3", specs[1].MaxInFlight)
	}
}
