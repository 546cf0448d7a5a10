package reminders

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

var days = Config{RemindAfter: []time.Duration{48 * time.Hour, 120 * time.Hour}, ExpireAfter: 336 * time.Hour}

func TestConfigCheck(t *testing.T) {
	for _, c := range []struct {
		cfg Config
		ok  bool
	}{
		{days, true},
		{Config{ExpireAfter: time.Hour}, true},
		{Config{RemindAfter: []time.Duration{time.Hour}}, false},
		{Config{RemindAfter: []time.Duration{2 * time.Hour, time.Hour}, ExpireAfter: 3 * time.Hour}, false},
		{Config{RemindAfter: []time.Duration{time.Hour, time.Hour}, ExpireAfter: 3 * time.Hour}, false},
		{Config{RemindAfter: []time.Duration{time.Hour, 3 * time.Hour}, ExpireAfter: 3 * time.Hour}, false},
		{Config{RemindAfter: []time.Duration{0}, ExpireAfter: 3 * time.Hour}, false},
	} {
		if err := c.cfg.Check(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.cfg, err)
		}
	}
}

func TestPlan(t *testing.T) {
	asked := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	show := func(steps []Planned) string {
		var b []string
		for _, s := range steps {
			b = append(b, fmt.Sprintf("%s@%s#%d%v", s.Key, s.At.Sub(asked), s.Timer.Number, s.Timer.Last))
		}
		return strings.Join(b, " ")
	}
	for _, c := range []struct {
		name       string
		sentBefore int
		now        time.Time
		want       string
		dropped    int
	}{
		{"fresh", 0, asked, "REQ=1.1@48h0m0s#1false REQ=1.2@120h0m0s#2true REQ=1.expiry@336h0m0s#0false", 0},
		{"after two earlier reminders", 2, asked.Add(time.Minute), "REQ=1.1@48h0m0s#3false REQ=1.2@120h0m0s#4true REQ=1.expiry@336h0m0s#0false", 0},
		{"met on day 3", 0, asked.Add(72 * time.Hour), "REQ=1.1@48h0m0s#1false REQ=1.2@120h0m0s#2true REQ=1.expiry@336h0m0s#0false", 0},
		// Met late: reminder 1 would go out with reminder 2 due already.
		{"met on day 6", 0, asked.Add(144 * time.Hour), "REQ=1.2@120h0m0s#2true REQ=1.expiry@336h0m0s#0false", 1},
		{"met after expiry", 0, asked.Add(400 * time.Hour), "REQ=1.expiry@336h0m0s#0false", 2},
		{"numbers run out", 19, asked, "REQ=1.1@48h0m0s#20false REQ=1.expiry@336h0m0s#0false", 1},
	} {
		steps, dropped := days.Plan("REQ.1", "ask-1", asked, c.sentBefore, c.now)
		if got := show(steps); got != c.want || len(dropped) != c.dropped {
			t.Errorf("%s: %s (dropped %v)\nwant %s (%d dropped)", c.name, got, dropped, c.want, c.dropped)
		}
		for _, s := range steps {
			if s.Timer.RequestID != "REQ.1" || s.Timer.AskedBy != "ask-1" || s.Timer.WaitingSince != events.Time(asked) ||
				s.Timer.ExpiresAt != events.Time(asked.Add(336*time.Hour)) || s.Timer.Due != events.Time(s.At) {
				t.Errorf("%s: timer %+v", c.name, s.Timer)
			}
		}
	}
}

func TestDecide(t *testing.T) {
	at := events.Time(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	later := events.Time(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	waiting := func(entries ...lifecycle.Entry) lifecycle.Record {
		return lifecycle.Record{RequestID: "REQ-1", Stage: lifecycle.StageAwaitingDetails, History: entries}
	}
	confirmed := lifecycle.Entry{Seq: 2, ID: "conf", Event: evConfirmation, At: at, Stage: lifecycle.StageAwaitingDetails}
	clarified := lifecycle.Entry{Seq: 5, ID: "incomplete", Event: evIncomplete, At: later, Stage: lifecycle.StageAwaitingDetails}
	ignored := lifecycle.Entry{Seq: 6, ID: "late", Event: evIncomplete, At: later, Ignored: "not accepted"}
	r1 := Timer{RequestID: "REQ-1", Step: StepReminder, Number: 1, AskedBy: "conf", WaitingSince: at}
	r2 := r1
	r2.Number = 2
	exp := Timer{RequestID: "REQ-1", Step: StepExpiry, AskedBy: "conf", WaitingSince: at}
	sent1 := waiting(confirmed)
	sent1.Reminders = []lifecycle.Reminder{{Number: 1}}
	sent2 := waiting(confirmed)
	sent2.Reminders = []lifecycle.Reminder{{Number: 2}}
	complete := waiting(confirmed)
	complete.Known = lifecycle.Known{RootEmail: "r@acme.example", Nickname: "Acme", SupportType: "basic"}
	refused := complete
	refused.Problems = []string{"root_email_in_use"}
	expired := lifecycle.Record{Stage: lifecycle.StageExpired, Expiry: &events.RequestExpired{WaitingSince: at}}
	expiredOther := lifecycle.Record{Stage: lifecycle.StageExpired, Expiry: &events.RequestExpired{WaitingSince: later}}
	for _, c := range []struct {
		name string
		rec  lifecycle.Record
		t    Timer
		want Verdict
	}{
		{"silent", waiting(confirmed), r1, Remind},
		{"second", sent1, r2, Remind},
		{"already sent", sent1, r1, Nothing},
		{"a later one already sent", sent2, r1, Nothing},
		{"details received", lifecycle.Record{Stage: lifecycle.StageDetailsReceived, History: []lifecycle.Entry{confirmed}}, r1, Nothing},
		{"rejected", lifecycle.Record{Stage: lifecycle.StageRejected, History: []lifecycle.Entry{confirmed}}, exp, Nothing},
		{"asked again since", waiting(confirmed, clarified), r1, Nothing},
		{"an ignored reply asks nothing", waiting(confirmed, ignored), r1, Remind},
		{"no confirmation on record", waiting(), r1, Nothing},
		{"nothing missing", complete, r1, Nothing},
		{"a refused root email", refused, r1, Remind},
		{"expiry", waiting(confirmed), exp, Expire},
		{"expiry after a clarification", waiting(confirmed, clarified), exp, Nothing},
		{"expired by this step", expired, exp, ExpiryEmail},
		{"expired by another step", expiredOther, exp, Nothing},
		{"reminder after expiry", expired, r1, Nothing},
		{"unknown step", waiting(confirmed), Timer{Step: "nag", AskedBy: "conf"}, Nothing},
	} {
		if got, why := Decide(c.rec, c.t); got != c.want {
			t.Errorf("%s: %v (%s), want %v", c.name, got, why, c.want)
		}
	}
}
