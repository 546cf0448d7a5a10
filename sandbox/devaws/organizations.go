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
	req        CreateRequest
	requested  time.Time
	ready      time.Time // when it may leave IN_PROGRESS
	pollsLeft  int       // IN_PROGRESS answers still due (tests)
	reported   bool      // a final state has been answered
	finalState string    // SUCCEEDED or FAILED
	accountID  string
	reason     string
}

// finished reports whether the creation has reached its final state at t.
func (c *car) finished(t time.Time) bool { return c.pollsLeft == 0 && !t.Before(c.ready) }

// SetPolls sets how many DescribeCreateAccountStatus calls answer
// IN_PROGRESS before a creation started afterwards reaches its final state
// (NewServer: 1; Start: 0, the creation delay alone decides), on top of
// Config.CreateDelay.
func (s *Server) SetPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls = max(n, 0)
}

// FailCreation makes every later creation for email end FAILED with reason
// (an AWS CreateAccountFailureReason such as "EMAIL_ALREADY_EXISTS"),
// before the outcome table of the package comment is consulted (reason ""
// fails them with no reason given).
func (s *Server) FailCreation(email, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failFor[strings.ToLower(email)] = reason
}

// StopFailing undoes FailCreation for email: the cause was fixed.
func (s *Server) StopFailing(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failFor, strings.ToLower(email))
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
		if c.reported && c.finalState == "SUCCEEDED" && strings.EqualFold(c.req.Email, email) {
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
	key := strings.ToLower(req.Email)
	rule, ruled := outcomeFor(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if ruled && rule.firstCall != "" && !s.firstSeen[key] {
		s.firstSeen[key] = true
		orgs.writeError(w, &wireError{status: http.StatusBadRequest, code: rule.firstCall,
			message: "devaws: " + rule.token + " in the root email: this first call is refused, the next one goes through"})
		return
	}
	t := s.clock().UTC()
	c := &car{req: req, requested: t, ready: t.Add(s.delay), pollsLeft: s.polls}
	if ruled && rule.slow {
		c.ready = t.Add(slowFactor * s.delay)
	}
	switch reason, forced := s.failFor[key]; {
	case forced:
		c.finalState, c.reason = "FAILED", reason
	case ruled && rule.reason != "":
		c.finalState, c.reason = "FAILED", rule.reason
	case s.owner[key] != "":
		c.finalState, c.reason = "FAILED", "EMAIL_ALREADY_EXISTS"
	case !emailLooksValid(req.Email):
		c.finalState, c.reason = "FAILED", "INVALID_EMAIL"
	default:
		c.finalState, c.accountID = "SUCCEEDED", accountID(s.seq+1)
	}
	c.req.ID = fmt.Sprintf("car-%s%08d", s.prefix, s.seq+1)
	// Kept before it is answered: a creation acctflow heard of must exist
	// after a restart.
	if err := s.journal.append(c); err != nil {
		s.log.Error("AWS sandbox: keeping a creation", "err", err)
		orgs.writeError(w, &wireError{status: http.StatusInternalServerError, code: "ServiceException", message: "devaws: " + err.Error()})
		return
	}
	s.addLocked(c)
	s.log.Info("AWS sandbox: CreateAccount accepted", "id", c.req.ID, "outcome", c.finalState, "reason", c.reason, "ready_in", c.ready.Sub(t).String())
	writeJSON(w, http.StatusOK, map[string]any{"CreateAccountStatus": c.inProgress()})
}

// addLocked registers an accepted (or reloaded) creation. Hold s.mu.
func (s *Server) addLocked(c *car) {
	s.seq++
	if c.accountID != "" {
		s.owner[strings.ToLower(c.req.Email)] = c.accountID
		s.accounts[c.accountID] = c
	}
	s.cars[c.req.ID] = c
	s.creates = append(s.creates, c.req)
}

// accountID is the account of the n-th creation: "2" and n in 11 digits.
func accountID(n int) string { return fmt.Sprintf("2%011d", n) }

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
		t := s.clock().UTC()
		if c.pollsLeft > 0 {
			c.pollsLeft--
			status = c.inProgress()
		} else {
			status = c.status(t)
		}
	}
	s.mu.Unlock()
	if !ok {
		orgs.writeError(w, &wireError{status: 400, code: "CreateAccountStatusNotFoundException",
			message: "We can't find a create account request with the CreateAccountRequestId that you specified."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"CreateAccountStatus": status})
}

func (c *car) inProgress() map[string]any {
	return map[string]any{
		"Id":                 c.req.ID,
		"AccountName":        c.req.AccountName,
		"State":              "IN_PROGRESS",
		"RequestedTimestamp": epoch(c.requested),
	}
}

// status renders the JSON 1.1 CreateAccountStatus at t (timestamps in epoch
// seconds). Callers hold s.mu.
func (c *car) status(t time.Time) map[string]any {
	m := c.inProgress()
	if !c.finished(t) {
		return m
	}
	c.reported = true
	m["State"] = c.finalState
	m["CompletedTimestamp"] = epoch(c.ready)
	if c.accountID != "" {
		m["AccountId"] = c.accountID
	}
	if c.reason != "" {
		m["FailureReason"] = c.reason
	}
	return m
}
