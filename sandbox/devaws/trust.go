package devaws

import (
	"context"
	"crypto/subtle"
	"maps"
	"strings"
	"time"
)

// Account is an account the sandbox created.
type Account struct {
	ID, Email, Name string
	Tags            map[string]string // as sent to CreateAccount
}

// TrustFunc returns the external id that role (a role name) in acct
// requires, standing in for the customer who created the role as acctflow's
// follow-up email asked. An error refuses the role (logged).
type TrustFunc func(ctx context.Context, acct Account, role string) (externalID string, err error)

// SetTrust replaces Config.Trust, for tests of sandbox accounts' roles.
func (s *Server) SetTrust(fn TrustFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trust = fn
}

// grant decides an AssumeRole: roles added with AddRole by their own
// external id, roles in sandbox accounts by the trust function; anything
// else is denied, and why says why (for the log, never for the caller: AWS
// tells a missing role and a wrong external id apart to nobody).
func (s *Server) grant(ctx context.Context, roleARN, externalID string, sent bool) (ok bool, why string) {
	s.mu.Lock()
	want, registered := s.roles[roleARN]
	trust := s.trust
	accountID, name, parsed := parseRoleARN(roleARN)
	var acct Account
	var created bool
	if c := s.accounts[accountID]; parsed && c != nil && c.finished(s.clock().UTC()) {
		created = true
		acct = Account{ID: c.accountID, Email: c.req.Email, Name: c.req.AccountName, Tags: maps.Clone(c.req.Tags)}
	}
	s.mu.Unlock()

	switch {
	case registered:
		if want == "" || want == externalID {
			return true, ""
		}
		return false, "wrong external id"
	case !parsed:
		return false, "not an IAM role ARN"
	case !created:
		return false, "account " + accountID + " is not one the sandbox created (or its creation has not finished)"
	case trust == nil:
		return false, "no trust policy is known for sandbox accounts"
	case strings.Contains(name, "Denied"):
		return false, "the role name contains Denied"
	case !sent:
		return false, "no external id sent"
	}
	ctx, cancel := context.WithTimeout(ctx, trustTimeout)
	defer cancel()
	need, err := trust(ctx, acct, name)
	if err != nil {
		return false, "looking up the external id the role requires: " + err.Error()
	}
	if need == "" || subtle.ConstantTimeCompare([]byte(need), []byte(externalID)) != 1 {
		return false, "wrong external id"
	}
	return true, ""
}

const trustTimeout = 10 * time.Second

// parseRoleARN takes account id and role name (the part after the last /)
// out of arn:aws:iam::<12 digits>:role/[path/]name.
func parseRoleARN(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "iam" || parts[3] != "" || !digits(parts[4], 12) {
		return "", "", false
	}
	rest, isRole := strings.CutPrefix(parts[5], "role/")
	name = rest[strings.LastIndexByte(rest, '/')+1:]
	if !isRole || !roleNameOK(name) {
		return "", "", false
	}
	return parts[4], name, true
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// pruneSessionsLocked forgets expired temporary credentials, so that a
// long-running sandbox does not keep every session it ever issued.
func (s *Server) pruneSessionsLocked() {
	t := now()
	for k, id := range s.sessions {
		if t.After(id.expires) {
			delete(s.sessions, k)
		}
	}
}
