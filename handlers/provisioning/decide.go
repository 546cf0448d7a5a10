package provisioning

import "time"

// Action is what a driver does next with one creation.
type Action int

const (
	Skip        Action = iota // final, someone else's, or not due
	Start                     // claim it and call CreateAccount (if a slot is free)
	Poll                      // ask AWS how it is going
	MarkUnknown               // a claimed CreateAccount whose outcome nobody recorded
)

// Decide is the driver's choice for c, a pure function of the record, the
// driver's identity and the clock. A creation owned by a live driver is left
// alone; one whose owner stopped beating for a lease is taken over: polled
// again if its car- id is stored, otherwise marked unknown, because its
// CreateAccount may have reached AWS and calling again could create a second
// account.
func Decide(c Creation, owner string, now time.Time, lease time.Duration) Action {
	mine := c.Owner == owner || now.Sub(c.Heartbeat) > lease
	switch c.State {
	case StateQueued:
		if now.Before(c.NotBefore) {
			return Skip
		}
		return Start
	case StatePolling:
		if mine {
			return Poll
		}
	case StateCreating:
		// Our own calls finish within a pass, so a claim of ours seen
		// at the start of one was left by a failed write.
		if c.Owner == owner || now.Sub(c.Heartbeat) > lease {
			return MarkUnknown
		}
	}
	return Skip
}
