package lifecycle

// Stage is where a request is in its lifecycle (DESIGN §4).
type Stage string

const (
	StageNew             Stage = "" // only events that need no request yet
	StageRequested       Stage = "requested"
	StageRejected        Stage = "rejected"
	StageRouted          Stage = "routed"
	StageAwaitingDetails Stage = "awaiting_details"
	StageDetailsReceived Stage = "details_received"
	StageApproved        Stage = "approved"
	StageCreationFailed  Stage = "creation_failed"
	StageCreated         Stage = "created"
	StageRoleUnverified  Stage = "role_unverified"
	StageRoleValidated   Stage = "role_validated"
	StageExpired         Stage = "expired"
)

// Stages lists every stage in the usual order of a request's life.
var Stages = []Stage{StageRequested, StageRejected, StageRouted, StageAwaitingDetails, StageDetailsReceived,
	StageApproved, StageCreationFailed, StageCreated, StageRoleUnverified, StageRoleValidated, StageExpired}

// Schema names of the events that can move a stage (package schemas).
const (
	evRequested     = "account-requested"
	evRouted        = "account-routed"
	evRejected      = "request-rejected"
	evConfirmation  = "confirmation-sent"
	evSubmitted     = "details-submitted"
	evIncomplete    = "details-incomplete"
	evExpired       = "request-expired"
	evApproved      = "account-approved"
	evCreated       = "account-created"
	evCreateFailed  = "account-creation-failed"
	evRoleValidated = "role-validated"
	evRoleRejected  = "role-rejected"
	evRoleUnverif   = "role-unverified"
)

// transitions is DESIGN §4's table: for each stage, the events it accepts
// and the stage each leads to (the same stage: accepted, the stage stays).
// An event missing here for the current stage is ignored: kept in the
// history with the reason, changing nothing. Events that never move a stage
// (support changes, tickets, reminders, failures, held replies, …) are not
// in the table: they annotate the record at any stage.
var transitions = map[Stage]map[string]Stage{
	// A routed event, or a rejection by routing, carries the whole request:
	// enough to start a record when the request itself was published before
	// the projection existed.
	StageNew: {evRequested: StageRequested, evRouted: StageRouted, evRejected: StageRejected},
	// Before routing, a newer body of the same request wins.
	StageRequested: {evRequested: StageRequested, evRouted: StageRouted, evRejected: StageRejected},
	// Only a rejection by routing can be corrected (see guard).
	StageRejected:        {evRequested: StageRequested},
	StageRouted:          {evConfirmation: StageAwaitingDetails},
	StageAwaitingDetails: {evSubmitted: StageDetailsReceived, evIncomplete: StageAwaitingDetails, evExpired: StageExpired, evRejected: StageRejected, evConfirmation: StageAwaitingDetails},
	// A reply correcting a field submits the details again.
	StageDetailsReceived: {evApproved: StageApproved, evRejected: StageRejected, evSubmitted: StageDetailsReceived},
	// An ops retry of a creation whose outcome is unknown is one more
	// approval at the same stage.
	StageApproved: {evCreated: StageCreated, evCreateFailed: StageCreationFailed, evApproved: StageApproved},
	// AWS refused the root email: the clarification asking for another one
	// (details-incomplete) reopens the details; ops may retry, or record an
	// account they created by hand.
	StageCreationFailed: {evIncomplete: StageAwaitingDetails, evApproved: StageApproved, evCreated: StageCreated},
	StageCreated:        {evRoleValidated: StageRoleValidated, evRoleRejected: StageCreated, evRoleUnverif: StageRoleUnverified},
	StageRoleUnverified: {evRoleValidated: StageRoleValidated, evRoleRejected: StageRoleUnverified, evRoleUnverif: StageRoleUnverified},
	StageRoleValidated:  {evRoleValidated: StageRoleValidated, evRoleRejected: StageRoleValidated, evRoleUnverif: StageRoleValidated},
}

// movesStage reports whether an event of this schema is governed by the
// transition table (as opposed to annotating the record at any stage).
func movesStage(schema string) bool {
	switch schema {
	case evRequested, evRouted, evRejected, evConfirmation, evSubmitted, evIncomplete, evExpired,
		evApproved, evCreated, evCreateFailed, evRoleValidated, evRoleRejected, evRoleUnverif:
		return true
	}
	return false
}

// Next is the transition table as a function: the stage an event of schema
// leads to from stage from, or ok false when the stage does not accept it.
// Guards that depend on the event's content are applied by the folds.
func Next(from Stage, schema string) (Stage, bool) {
	to, ok := transitions[from][schema]
	return to, ok
}

// Open reports whether a request at this stage may still move without ops
// starting it again: everything but the ends.
func (s Stage) Open() bool {
	return s != StageRejected && s != StageExpired && s != StageRoleValidated
}

// Ended reports whether a request at this stage is over for good (rejected
// or expired): no reply, and no held one, applies to it any more. A
// validated role is not an end: a new Role ARN still replaces it.
func (s Stage) Ended() bool {
	return s == StageRejected || s == StageExpired
}
