package devaws

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"
)

// CreateRequest is one CreateAccount call the fake accepted.
type CreateRequest struct {
	ID                     string // the car-… id it was given
	Email                  string
	AccountName            string
	RoleName               string // "" when not sent
	IamUserAccessToBilling string // "" when not sent
	Tags                   map[string]string
}

type car struct {
	id, email, name   string
	requested         time.Time
	completed         time.Time
	pollsLeft         int
	finalState        string // SUCCEEDED or FAILED
	accountID, reason string
	done              bool
}

// SetPolls sets how many DescribeCreateAccountStatus calls answer
// IN_PROGRESS before a creation started afterwards reaches its final state
// (default 1; 0 finishes on the first poll).
func (s *Server) SetPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls = max(n, 0)
}

// FailCreation makes every later creation for email end FAILED with reason
// (an AWS CreateAccountFailureReason such as "EMAIL_ALREADY_EXISTS").
// Without it a creation fails with EMAIL_ALREADY_EXISTS when an earlier one
// already holds the email, and with INVALID_EMAIL when the email breaks
// AWS's rules; otherwise it succeeds with a new 12-digit account id.
func (s *Server) FailCreation(email, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failFor[strings.ToLower(email)] = reason
}

// CreateCalls returns how many CreateAccount calls were accepted (a car-… id
// issued); refused and fault-injected calls are not counted (see Calls).
func (s *Server) CreateCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.creates)
}

// CreateCallsFor is CreateCalls for one email (case-insensitive).
func (s *Server) CreateCallsFor(email string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.creates {
		if strings.EqualFold(c.Email, email) {
			n++
		}
	}
	return n
}

// CreateRequests returns the accepted CreateAccount inputs, oldest first.
func (s *Server) CreateRequests() []CreateRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CreateRequest, len(s.creates))
	for i, c := range s.creates {
		c.Tags = maps.Clone(c.Tags)
		out[i] = c
	}
	return out
}

// AccountFor returns the id of the account created for email, once its
// creation has been reported SUCCEEDED.
func (s *Server) AccountFor(email string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cars {
		if c.done && c.finalState == "SUCCEEDED" && strings.EqualFold(c.email, email) {
			return c.accountID, true
		}
	}
	return "", false
}

type createAccountInput struct {
	Email                  *string
	AccountName            *string
	RoleName               *string
	IamUserAccessToBilling *string
	Tags                   []struct{ Key, Value *string }
}

func (s *Server) createAccount(w http.ResponseWriter, body []byte) {
	var in createAccountInput
	if werr := decodeStrict(body, &in); werr != nil {
		orgs.writeError(w, werr)
		return
	}
	req, werr := in.check()
	if werr != nil {
		orgs.writeError(w, werr)
		return
	}
	s.mu.Lock()
	s.seq++
	c := &car{
		id:        fmt.Sprintf("car-%s%08d", s.prefix, s.seq),
		email:     req.Email,
		name:      req.AccountName,
		requested: now(),
		pollsLeft: s.polls,
	}
	key := strings.ToLower(req.Email)
	switch reason, forced := s.failFor[key]; {
	case forced:
		c.finalState, c.reason = "FAILED", reason
	case s.owner[key] != "":
		c.finalState, c.reason = "FAILED", "EMAIL_ALREADY_EXISTS"
	case !emailLooksValid(req.Email):
		c.finalState, c.reason = "FAILED", "INVALID_EMAIL"
	default:
		c.finalState, c.accountID = "SUCCEEDED", fmt.Sprintf("2%011d", s.seq)
		s.owner[key] = c.accountID
	}
	s.cars[c.id] = c
	req.ID = c.id
	s.creates = append(s.creates, req)
	status := c.status()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"CreateAccountStatus": status})
}

func (s *Server) describeStatus(w http.ResponseWriter, body []byte) {
	var in struct{ CreateAccountRequestId *string }
	if werr := decodeStrict(body, &in); werr != nil {
		orgs.writeError(w, werr)
		return
	}
	id := deref(in.CreateAccountRequestId)
	s.mu.Lock()
	c, ok := s.cars[id]
	var status map[string]any
	if ok {
		if c.pollsLeft > 0 {
			c.pollsLeft--
		} else if !c.done {
			c.done, c.completed = true, now()
		}
		status = c.status()
	}
	s.mu.Unlock()
	if !ok {
		orgs.writeError(w, &wireError{status: 400, code: "CreateAccountStatusNotFoundException",
			message: "We can't find a create account request with the CreateAccountRequestId that you specified."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"CreateAccountStatus": status})
}

// status renders the JSON 1.1 CreateAccountStatus (timestamps in epoch
// seconds). Callers hold s.mu.
func (c *car) status() map[string]any {
	m := map[string]any{
		"Id":                 c.id,
		"AccountName":        c.name,
		"State":              "IN_PROGRESS",
		"RequestedTimestamp": epoch(c.requested),
	}
	if c.done {
		m["State"] = c.finalState
		m["CompletedTimestamp"] = epoch(c.completed)
		if c.accountID != "" {
			m["AccountId"] = c.accountID
		}
		if c.reason != "" {
			m["FailureReason"] = c.reason
		}
	}
	return m
}
