package mailer

import "errors"

// RoleRejectedData says the submitted Role ARN could not be validated, why,
// and what to fix before sending the corrected ARN.
type RoleRejectedData struct {
	RequestID    string
	ContactName  string
	CustomerName string
	AccountID    string // the customer's account the role belongs in
	RoleARN      string // as submitted; shown, never trusted
	Reason       string // the explanation to show, e.g. "AssumeRole was denied"
	// What the trust policy must contain.
	DistributorAccountID string
	ExternalID           string
	Lang                 Lang
	Sig                  Signature
}

// Kind implements Data.
func (RoleRejectedData) Kind() string     { return KindRoleRejected }
func (d RoleRejectedData) language() Lang { return d.Lang }

type roleRejectedView struct {
	customer
	AccountID, RoleARN, Reason       string
	DistributorAccountID, ExternalID string
}

func (d RoleRejectedData) prepare(t *tr) (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	if err := checkTrust(d.AccountID, d.DistributorAccountID, d.ExternalID); err != nil {
		return "", nil, err
	}
	v := roleRejectedView{
		customer: c, AccountID: d.AccountID, RoleARN: oneLine(d.RoleARN), Reason: squash(d.Reason, maxReasonRunes),
		DistributorAccountID: d.DistributorAccountID, ExternalID: d.ExternalID,
	}
	if v.Reason == "" {
		return "", nil, errors.New("role rejection without a reason")
	}
	return subjectTag(t.T("role_rejected.subject", "AccountID", d.AccountID, "Customer", c.CustomerName), c.RequestID), v, nil
}
