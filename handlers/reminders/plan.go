// Package reminders chases resellers who do not send the details a request
// waits for: a reminder email on day 2 and day 5 after we asked, and on day
// 14 the request expires (acct.expired) and the reseller is told.
//
// Nothing scans for due work. Two handlers share the package:
//
//   - "reminders" (events) plans: when a request starts waiting for details
//     (acct.confirmation.sent) or waits again after a partial reply
//     (acct.details.incomplete, which sent a clarification), it schedules one
//     JetStream message schedule per step on the TIMERS stream, replacing
//     the previous ones; when it stops waiting (acct.details.submitted), it
//     cancels them.
//   - "reminder-timers" (timers) acts when a step fires: it waits until the
//     projection has folded every event published before, reads the
//     request's record and, only if the request still waits for the same
//     request for details, mails the reminder (restating what is still
//     missing) and publishes acct.reminder.sent, or publishes acct.expired
//     and mails the reseller.
//
// Silence is counted from the last email that asked for details: a partial
// reply, answered by a clarification, starts the days again. A request gets
// at most as many reminders per request for details as --remind-after lists.
package reminders

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// TimerKind is the kind of this package's timers on the TIMERS stream.
const TimerKind = "reminder"

// Steps of a plan.
const (
	StepReminder = "reminder"
	StepExpiry   = "expiry"
)

// maxReminder is the highest reminder number events carry.
const maxReminder = 20

// Config is when reminders go out and when a request expires, counted from
// the last email that asked for details.
type Config struct {
	RemindAfter []time.Duration // default 48h, 120h
	ExpireAfter time.Duration   // default 336h
}

// Defaults of Config.
var (
	DefaultRemindAfter = []time.Duration{48 * time.Hour, 120 * time.Hour}
	DefaultExpireAfter = 336 * time.Hour
)

// Check refuses a configuration whose steps are out of order.
func (c Config) Check() error {
	if c.ExpireAfter <= 0 {
		return fmt.Errorf("--expire-after %v: must be positive", c.ExpireAfter)
	}
	if len(c.RemindAfter) > maxReminder {
		return fmt.Errorf("--remind-after: at most %d reminders", maxReminder)
	}
	prev := time.Duration(0)
	for _, d := range c.RemindAfter {
		if d <= prev || d >= c.ExpireAfter {
			return fmt.Errorf("--remind-after %v: each reminder must come after the previous one and before --expire-after %v", c.RemindAfter, c.ExpireAfter)
		}
		prev = d
	}
	return nil
}

// Timer is the payload of a scheduled step.
type Timer struct {
	RequestID string `json:"request_id"`
	Step      string `json:"step"`             // StepReminder or StepExpiry
	Number    int    `json:"number,omitempty"` // the reminder's number on the request
	Last      bool   `json:"last,omitempty"`   // no reminder follows it before expiry
	// AskedBy is the id of the event that asked for the details (the
	// confirmation or a clarification), and WaitingSince its time: the
	// step applies only while that is still the last request for details.
	AskedBy      string `json:"asked_by"`
	WaitingSince string `json:"waiting_since"`
	Due          string `json:"due"`
	ExpiresAt    string `json:"expires_at"`
}

// Planned is one step to schedule: its timer key and when it fires.
type Planned struct {
	Key   string
	At    time.Time
	Timer Timer
}

// slotKey is the timer key of step slot of a request: one key per
// reminder slot and one for expiry, all under the request's key, so that
// a new plan replaces the old one and one purge cancels them all.
func slotKey(requestID, slot string) string { return events.JoinKey(requestID, slot) }

// Plan lists the steps of a request that was asked for details by event
// askedBy at asked, with earlier reminders numbered up to sentBefore. A
// reminder whose next step is already due at now is dropped (an old request
// met for the first time is expired, not reminded twice in a row); so is
// one numbered past the events' limit. Dropped lists the slots to clear.
func (c Config) Plan(requestID, askedBy string, asked time.Time, sentBefore int, now time.Time) (steps []Planned, dropped []string) {
	expires := asked.Add(c.ExpireAfter)
	base := Timer{RequestID: requestID, AskedBy: askedBy, WaitingSince: events.Time(asked), ExpiresAt: events.Time(expires)}
	for i, d := range c.RemindAfter {
		next := expires
		if i+1 < len(c.RemindAfter) {
			next = asked.Add(c.RemindAfter[i+1])
		}
		slot := strconv.Itoa(i + 1)
		n := sentBefore + i + 1
		if !now.Before(next) || n > maxReminder {
			dropped = append(dropped, slotKey(requestID, slot))
			continue
		}
		t := base
		t.Step, t.Number, t.Last, t.Due = StepReminder, n, i == len(c.RemindAfter)-1, events.Time(asked.Add(d))
		steps = append(steps, Planned{Key: slotKey(requestID, slot), At: asked.Add(d), Timer: t})
	}
	t := base
	t.Step, t.Due = StepExpiry, events.Time(expires)
	steps = append(steps, Planned{Key: slotKey(requestID, StepExpiry), At: expires, Timer: t})
	return steps, dropped
}

// Schema names of the events that ask the reseller for details.
const (
	evConfirmation = "confirmation-sent"
	evIncomplete   = "details-incomplete"
)

// LastAsk is the history entry of the last request for details the record
// accepted (the confirmation, or the clarification after a partial reply);
// ok is false when there is none.
func LastAsk(rec lifecycle.Record) (lifecycle.Entry, bool) {
	for i := len(rec.History) - 1; i >= 0; i-- {
		e := rec.History[i]
		if (e.Event == evConfirmation || e.Event == evIncomplete) && e.Stage != "" && e.Ignored == "" {
			return e, true
		}
	}
	return lifecycle.Entry{}, false
}

// sameID reports whether a history entry's id is the event id id (the
// record keeps long or non-UTF-8 ids as a digest; see lifecycle.Record.Seen).
func sameID(entryID, id string) bool {
	return entryID == id || entryID == "sha256:"+events.DerivedID(id)
}

// remindersBefore is the highest number of the reminders sent before t:
// reminders of earlier requests for details keep their numbers.
func remindersBefore(rec lifecycle.Record, t time.Time) int {
	n := 0
	for _, r := range rec.Reminders {
		at, err := time.Parse(time.RFC3339, r.SentAt)
		if err == nil && at.Before(t) {
			n = max(n, r.Number)
		}
	}
	return n
}

// Verdict is what a fired step does.
type Verdict int

const (
	Nothing     Verdict = iota // the step no longer applies
	Remind                     // mail the reminder, publish acct.reminder.sent
	Expire                     // publish acct.expired, then mail the reseller
	ExpiryEmail                // the request expired by this step: make sure the reseller was told
)

// Decide is what a fired step does to the request as its record stands; why
// says why nothing. It is pure: the record and the timer decide.
func Decide(rec lifecycle.Record, t Timer) (v Verdict, why string) {
	if t.Step == StepExpiry && rec.Stage == lifecycle.StageExpired && rec.Expiry != nil && sameTime(rec.Expiry.WaitingSince, t.WaitingSince) {
		return ExpiryEmail, ""
	}
	if rec.Stage != lifecycle.StageAwaitingDetails {
		return Nothing, "the request is at stage " + string(rec.Stage)
	}
	ask, ok := LastAsk(rec)
	if !ok || !sameID(ask.ID, t.AskedBy) {
		return Nothing, "details were asked for again since"
	}
	switch t.Step {
	case StepReminder:
		if slices.ContainsFunc(rec.Reminders, func(r lifecycle.Reminder) bool { return r.Number >= t.Number }) {
			return Nothing, "reminder " + strconv.Itoa(t.Number) + " or a later one was sent"
		}
		if k := rec.Known; k.RootEmail != "" && k.Nickname != "" && k.SupportType != "" && len(rec.Problems) == 0 {
			return Nothing, "nothing is missing"
		}
		return Remind, ""
	case StepExpiry:
		return Expire, ""
	}
	return Nothing, "unknown step " + t.Step
}

func sameTime(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339, a)
	tb, err2 := time.Parse(time.RFC3339, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}
