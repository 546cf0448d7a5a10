package broker

import "testing"

// Beyond JetStream's duplicate window only this set keeps a long opening
// from recording the same blocked effect again at every deferral.
func TestBlockedSetRemembersOncePerOpening(t *testing.T) {
	b := newBlockedSet()
	if !b.first("smtp|t1", "ev-1") || b.first("smtp|t1", "ev-1") {
		t.Fatal("the same message in the same opening must be new once")
	}
	if !b.first("smtp|t1", "ev-2") || !b.first("imap|t1", "ev-1") {
		t.Fatal("another message, or another circuit, is new")
	}
	if !b.first("smtp|t2", "ev-1") {
		t.Fatal("a new opening of the circuit is new")
	}
	if !b.first("smtp|t2", "ev-3") || len(b.seen) != 2 {
		t.Fatalf("the previous opening was not forgotten: %d openings kept", len(b.seen))
	}
	b.forget("smtp|t2", "ev-1")
	if !b.first("smtp|t2", "ev-1") {
		t.Fatal("a forgotten message (its record failed) must be tried again")
	}
	if got, _ := requestRef([]byte(`{"request_id":"REQ..1","change_id":"CHG 1"}`)); got != "REQ..1" {
		t.Fatalf("request id %q", got)
	}
	if _, got := requestRef([]byte(`{"change_id":"CHG-1"}`)); got != "CHG-1" {
		t.Fatalf("change id %q", got)
	}
	if s := oneLine("a\r\nb\x00c"+string(make([]byte, 10)), 100); s != "a b c" {
		t.Fatalf("oneLine %q", s)
	}
}
