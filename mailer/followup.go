package mailer

import (
	"errors"
	"fmt"
	"regexp"
)

// FollowupData is the post-creation checklist: root password reset, the IAM
// role for the distributor (its ARN comes back by reply) and the support plan.
type FollowupData struct {
	RequestID    string
	ContactName  string
	CustomerName string
	AccountID    string // the new account, 12 digits
	AccountName  string // how AWS shows the account (its AWS account name)
	Nickname     string // as the reseller typed it; optional
	RootEmail    string
	SupportType  string // chosen: business, developer, basic, enterprise
	// DistributorAccountID is the account the role must trust; ExternalID
	// the value its trust policy must require.
	DistributorAccountID string
	ExternalID           string
	RoleName             string // suggested role name; optional
	// Where the Role ARN reply goes, as in ConfirmationData; the Reply-To
	// is the caller's.
	ReplyChannel   string
	SupportMailbox string
	Lang           Lang
	Sig            Signature
}

// Kind implements Data.
func (FollowupData) Kind() string     { return KindFollowup }
func (d FollowupData) language() Lang { return d.Lang }

type followupView struct {
	customer
	AccountID, AccountName, Nickname string
	RootEmail                        string
	SupportType                      string
	DistributorAccountID, ExternalID string
	RoleName                         string
	SupportMailbox                   string
}

// externalIDPattern is what IAM accepts in sts:ExternalId (2–1224 of
// [\w+=,.@:/-]); anything else could not be typed into the trust policy.
var externalIDPattern = regexp.MustCompile(`^[\w+=,.@:/-]+$`)

func validExternalID(s string) bool {
	return len(s) >= 2 && len(s) <= 1224 && externalIDPattern.MatchString(s)
}

// checkTrust checks what a mail about the reseller's IAM role states: the
// customer's account, the distributor account the role must trust and the
// external id its trust policy must require.
func checkTrust(accountID, distributorAccountID, externalID string) error {
	if err := checkAccountID("account id", accountID); err != nil {
		return err
	}
	if err := checkAccountID("distributor account id", distributorAccountID); err != nil {
		return err
	}
	if !validExternalID(externalID) {
		return errors.New("external id is empty or not valid for an IAM trust policy")
	}
	return nil
}

var roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

func (d FollowupData) prepare(t *tr) (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	if err := checkTrust(d.AccountID, d.DistributorAccountID, d.ExternalID); err != nil {
		return "", nil, err
	}
	if d.RoleName != "" && !roleNamePattern.MatchString(d.RoleName) {
		return "", nil, fmt.Errorf("role name %q is not a valid IAM role name", oneLine(d.RoleName))
	}
	if err := checkSupportType(d.SupportType, true); err != nil {
		return "", nil, err
	}
	box, err := replyChannel(d.ReplyChannel, d.SupportMailbox)
	if err != nil {
		return "", nil, err
	}
	v := followupView{
		customer: c, AccountID: d.AccountID, AccountName: oneLine(d.AccountName), Nickname: oneLine(d.Nickname),
		RootEmail: oneLine(d.RootEmail), SupportType: d.SupportType, DistributorAccountID: d.DistributorAccountID,
		ExternalID: d.ExternalID, RoleName: d.RoleName, SupportMailbox: box,
	}
	if v.Nickname == v.AccountName {
		v.Nickname = "" // nothing to explain
	}
	if v.RootEmail == "" {
		return "", nil, errors.New("root email is empty")
	}
	return subjectTag(t.T("followup.subject", "Customer", c.CustomerName), c.RequestID), v, nil
}
