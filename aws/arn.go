package aws

import (
	"fmt"
	"strings"

	"github.com/acctflow/acctflow/retry"
)

// RoleARN is a parsed IAM role ARN in the standard aws partition.
type RoleARN struct {
	AccountID string // 12 digits
	Path      string // "/" or "/a/b/", as IAM reports it
	Name      string // 1–64 of [A-Za-z0-9_+=,.@-]
}

const (
	maxARNLen     = 2048 // IAM's limit on a role ARN
	maxPathLen    = 512
	maxRoleName   = 64
	roleARNFormat = "arn:aws:iam::<12-digit account id>:role/<optional path/><role name>"
)

// String formats r back into its ARN.
func (r RoleARN) String() string {
	return "arn:aws:iam::" + r.AccountID + ":role" + r.Path + r.Name
}

// ParseRoleARN checks s strictly against the IAM role ARN format. Surrounding
// white space (a pasted line) is ignored; anything else wrong is a
// *RejectedError explaining what to fix.
func ParseRoleARN(s string) (RoleARN, error) {
	s = strings.TrimSpace(s)
	bad := func(format string, args ...any) (RoleARN, error) {
		return RoleARN{}, rejected(RejectInvalidRoleARN, fmt.Sprintf("the role ARN %s is not valid: %s; expected %s",
			clip(s, 160), fmt.Sprintf(format, args...), roleARNFormat))
	}
	if s == "" {
		return bad("it is empty")
	}
	if len(s) > maxARNLen {
		return bad("it is longer than %d characters", maxARNLen)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return bad("it does not have the arn:partition:service:region:account:resource form")
	}
	partition, service, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
	if partition != "aws" {
		return bad("partition %s is not supported, only aws", clip(partition, 32))
	}
	if service != "iam" {
		return bad("service %s is not iam", clip(service, 32))
	}
	if region != "" {
		return bad("IAM ARNs have no region, found %s", clip(region, 32))
	}
	if !isDigits(account, 12) {
		return bad("the account id %s must be exactly 12 digits", clip(account, 32))
	}
	rest, ok := strings.CutPrefix(resource, "role/")
	if !ok {
		return bad("the resource %s is not a role", clip(resource, 64))
	}
	i := strings.LastIndexByte(rest, '/')
	path, name := "/"+rest[:i+1], rest[i+1:]
	if len(path) > maxPathLen {
		return bad("the role path is longer than %d characters", maxPathLen)
	}
	for _, c := range []byte(path) {
		if c < 0x21 || c > 0x7e {
			return bad("the role path may only hold printable ASCII without spaces")
		}
	}
	if name == "" || len(name) > maxRoleName {
		return bad("the role name must be 1 to %d characters, it has %d", maxRoleName, len(name))
	}
	if !isRoleName(name) {
		return bad("the role name may only hold letters, digits and + = , . @ _ -")
	}
	return RoleARN{AccountID: account, Path: path, Name: name}, nil
}

// CheckAccount rejects a role outside the account that was created for the
// request, before any AWS call is made.
func (r RoleARN) CheckAccount(accountID string) error {
	if !isDigits(accountID, 12) {
		// Our own state is broken, not the reseller's ARN.
		return retry.Permanent(fmt.Errorf("checking the role's account: %s is not an AWS account id", clip(accountID, 32)))
	}
	if r.AccountID != accountID {
		return rejected(RejectRoleAccount, fmt.Sprintf(
			"the role ARN %s belongs to AWS account %s, but the account created for this request is %s; create the role in account %s and send its ARN",
			r.String(), r.AccountID, accountID, accountID))
	}
	return nil
}

// isRoleName reports whether s uses only IAM's role name alphabet [\w+=,.@-].
func isRoleName(s string) bool {
	for _, c := range []byte(s) {
		if !isNameByte(c) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("_+=,.@-", c) >= 0
}

func isDigits(s string, n int) bool {
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
