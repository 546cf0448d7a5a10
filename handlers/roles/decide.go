// Package roles validates a reseller's Role ARN (acct.role.submitted): the
// format, that it belongs to the account created for the request (both
// without any AWS call), then STS AssumeRole with the account's external id
// and GetCallerIdentity → acct.role.validated, or acct.role.rejected with an
// explanation the reseller can act on and an email saying so.
package roles

import (
	"errors"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/lifecycle"
)

// Rejection reasons (schema role-rejected).
const (
	ReasonInvalidFormat   = "invalid_format"
	ReasonAccountMismatch = "account_mismatch"
	ReasonNoAccount       = "no_account"
	ReasonAccessDenied    = "access_denied"
)

// Precheck is what can be decided without AWS: the parsed role, or the
// reason and explanation of a rejection. It is a pure function of the ARN
// and the projection.
func Precheck(arn string, rec lifecycle.Record) (role aws.RoleARN, reason, explanation string) {
	role, err := aws.ParseRoleARN(arn)
	if err != nil {
		return role, ReasonInvalidFormat, reasonOf(err)
	}
	if rec.Account == nil {
		return role, ReasonNoAccount, "No AWS account has been created for this request yet, so the role cannot be checked; send the role ARN again once the account exists."
	}
	if err := role.CheckAccount(rec.Account.AccountID); err != nil {
		return role, ReasonAccountMismatch, reasonOf(err)
	}
	return role, "", ""
}

// reasonOf returns the reseller-facing text of a rejection.
func reasonOf(err error) string {
	var rej *aws.RejectedError
	if errors.As(err, &rej) {
		return rej.Reason
	}
	return err.Error()
}
