package devaws

import "strings"

// rule is one row of the outcome table in the package comment.
type rule struct {
	token     string // what the root email contains
	reason    string // FailureReason of the final state; "" = SUCCEEDED
	firstCall string // error code of the first CreateAccount call for the address
	slow      bool   // IN_PROGRESS for slowFactor × the delay
}

const slowFactor = 10

// rules are checked in order; the first token the address contains wins.
var rules = []rule{
	{token: "+fail-exists", reason: "EMAIL_ALREADY_EXISTS"},
	{token: "+fail-invalid", reason: "INVALID_EMAIL"},
	{token: "+fail-limit", reason: "ACCOUNT_LIMIT_EXCEEDED"},
	{token: "+fail-internal", reason: "INTERNAL_FAILURE"},
	{token: "+fail-validation", reason: "PENDING_BUSINESS_VALIDATION"},
	{token: "+throttle", firstCall: "TooManyRequestsException"},
	{token: "+busy", firstCall: "ConcurrentModificationException"},
	{token: "+slow", slow: true},
}

// outcomeFor returns the rule a lower-cased root email selects.
func outcomeFor(email string) (rule, bool) {
	for _, r := range rules {
		if strings.Contains(email, r.token) {
			return r, true
		}
	}
	return rule{}, false
}
