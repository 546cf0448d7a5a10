package freshdesktest

import "testing"

// FuzzParseQuery: any query text gives a matcher or a field error, never a
// panic, and a matcher can be applied.
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"tag:'acctflow-chg-1'", "tag:null", "status:2 AND priority:>3", "(tag:'a' OR tag:'b') AND status:<4",
		"((((", "tag:'", "priority:99999999999999999999", "AND OR", "tag:'x' AND", "nope:1",
	} {
		f.Add(seed)
	}
	t := StoredTicket{ID: 1, Priority: 2, Status: 2, Tags: []string{"a"}}
	f.Fuzz(func(tt *testing.T, q string) {
		m, err := parseQuery(q)
		if (m == nil) == (err == nil) {
			tt.Fatalf("%q: matcher %v, error %v", q, m != nil, err)
		}
		if m != nil {
			m(t)
		}
	})
}
