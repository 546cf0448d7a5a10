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
		{"fine", []broker.Declaration{ok, {Name: "api", Reads: []string{broker.ObjectMailRaw}}}, ""},
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
