package aws

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/acctflow/acctflow/retry"
)

// Machine-readable codes of a RejectedError.
const (
	RejectInvalidEmail       = "invalid_root_email"    // ask the reseller for another root email
	RejectInvalidAccountName = "invalid_account_name"  // the nickname leaves no usable account name
	RejectInvalidRoleARN     = "invalid_role_arn"      // the ARN is malformed
	RejectRoleAccount        = "role_account_mismatch" // the ARN names another account
	RejectAssumeRoleDenied   = "assume_role_denied"    // trust policy or external id wrong, or no such role
)

// RejectedError is a failure the reseller has to fix: Reason is written for
// them, Code for machines. It always travels inside retry.Permanent; find it
// with errors.As.
type RejectedError struct {
	Code   string
	Reason string
}

func (e *RejectedError) Error() string { return e.Reason }

func rejected(code, reason string) error {
	return retry.Permanent(&RejectedError{Code: code, Reason: reason})
}

// clip bounds hostile text before it goes into a message, quoted so that
// control characters stay visible and inert. n bounds the quoted text, not
// the input: an escaped byte takes up to four characters.
func clip(s string, n int) string {
	var b strings.Builder
	for len(s) > 0 {
		_, size := utf8.DecodeRuneInString(s)
		q := strconv.Quote(s[:size])
		if b.Len()+len(q)-2 > n {
			return `"` + b.String() + `…"`
		}
		b.WriteString(q[1 : len(q)-1])
		s = s[size:]
	}
	return `"` + b.String() + `"`
}
