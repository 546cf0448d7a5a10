package lifecycle

// Waiting is what an open request waits for, which says on whom.
type Waiting string

const (
	WaitingDetails  Waiting = "details"  // the reseller's details
	WaitingHeld     Waiting = "held"     // ops: a reply that proves nothing about its sender
	WaitingApproval Waiting = "approval" // ops approval
	WaitingCreation Waiting = "creation" // the account: AWS or ops
	WaitingRole     Waiting = "role"     // the Role ARN, or ops checking an unverified one
	WaitingGroup    Waiting = "group"    // the support plan group, for billing
	WaitingFailure  Waiting = "failure"  // ops: an effect failed
)

// WaitingOrder is the order a region's queue is shown in.
var WaitingOrder = []Waiting{WaitingFailure, WaitingHeld, WaitingApproval, WaitingCreation, WaitingDetails, WaitingRole, WaitingGroup}

// Summary is one line of a region's queue: what the index of open requests
// keeps, so a region's page and its digest never read every record.
type Summary struct {
	RequestID string  `json:"request_id"`
	Region    string  `json:"region"`
	Stage     Stage   `json:"stage"`
	Since     string  `json:"since"` // when it reached its stage
	Waiting   Waiting `json:"waiting"`
	Customer  string  `json:"customer,omitempty"`
	Reseller  string  `json:"reseller,omitempty"`
	Contact   string  `json:"contact,omitempty"`
	RootEmail string  `json:"root_email,omitempty"`
	Reminders int     `json:"reminders,omitempty"`
	Held      int     `json:"held,omitempty"`
	Failure   string  `json:"failure,omitempty"` // the last failure's words, while it stands
	// Missing says in words what the reseller's details still lack, while
	// the request waits for them ("support type missing").
	Missing string `json:"missing,omitempty"`
	// Rev is the record revision it was made from: an older one never
	// replaces a newer one.
	Rev uint64 `json:"rev"`
}

// Summarize returns the record's line in its region's queue, and whether
// the request is open (routed, and still waiting on someone).
func Summarize(r Record) (Summary, bool) {
	s := Summary{RequestID: r.RequestID, Region: r.Region, Stage: r.Stage, Since: r.StageAt, Reminders: len(r.Reminders)}
	if q := r.Request; q != nil {
		s.Customer, s.Reseller, s.Contact = q.Customer.Name, q.Reseller.Name, q.Reseller.PrimaryContact.Email
	}
	s.RootEmail = r.Known.RootEmail
	for _, h := range r.Held {
		if h.Status == HeldWaiting {
			s.Held++
		}
	}
	// A failure stands until the request moves on after it.
	if n := len(r.Failures); n > 0 && r.Failures[n-1].At >= r.StageAt {
		s.Failure = r.Failures[n-1].Error
	}
	switch r.Stage {
	case StageRouted, StageAwaitingDetails:
		s.Waiting, s.Missing = WaitingDetails, r.Missing()
	case StageDetailsReceived:
		s.Waiting = WaitingApproval
	case StageApproved:
		s.Waiting = WaitingCreation
	case StageCreationFailed:
		// It failed on our side (a root email AWS refused goes back to
		// awaiting_details): ops retry once the cause is fixed, or record
		// an account made by hand.
		s.Waiting, s.Failure = WaitingCreation, "account creation failed"
		if f := r.Failure; f != nil && f.FailureReason != "" {
			s.Failure += ": " + f.FailureReason
		}
	case StageCreated, StageRoleUnverified:
		s.Waiting = WaitingRole
	case StageRoleValidated:
		if r.SupportGroup == nil || r.SupportGroup.Missing || r.SupportGroup.Group == "" {
			s.Waiting = WaitingGroup
		}
	}
	switch {
	case s.Waiting == "" && s.Failure == "" || r.Region == "":
		return s, false
	case s.Failure != "":
		s.Waiting = WaitingFailure
	case s.Held > 0:
		s.Waiting = WaitingHeld
	}
	return s, true
}
