package mailer

import "errors"

// AcknowledgementData tells the reseller that their details arrived and
// that ops will now create the account, restating the details (and how AWS
// will show the account) so that a mistake can still be corrected by reply.
type AcknowledgementData struct {
	RequestID    string
	ContactName  string
	CustomerName string
	RootEmail    string
	Nickname     string // as the reseller typed it
	// AWSAccountName is how AWS will show the account (callers derive it
	// with aws.AccountName when the event has none); without one, the
	// nickname is restated alone.
	AWSAccountName string
	SupportType    string // business, developer, basic, enterprise
	// Where a correction goes, as in ConfirmationData; the Reply-To is the
	// caller's.
	ReplyChannel   string
	SupportMailbox string
	Lang           Lang
	Sig            Signature
}

// Kind implements Data.
func (AcknowledgementData) Kind() string     { return KindAcknowledgement }
func (d AcknowledgementData) language() Lang { return d.Lang }

type acknowledgementView struct {
	customer
	Details        []string
	SupportMailbox string
}

func (d AcknowledgementData) prepare(t *tr) (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	box, err := replyChannel(d.ReplyChannel, d.SupportMailbox)
	if err != nil {
		return "", nil, err
	}
	if err := checkSupportType(d.SupportType, false); err != nil {
		return "", nil, err
	}
	root, nick, awsName := oneLine(d.RootEmail), oneLine(d.Nickname), oneLine(d.AWSAccountName)
	if root == "" || nick == "" {
		return "", nil, errors.New("acknowledgement needs the root email and the nickname")
	}
	nickname := t.T("common.detail_nickname", "Value", nick)
	if awsName != "" { // shown even when equal: the reseller learns it is
		nickname = t.T("common.detail_nickname_aws", "Value", nick, "AWSName", awsName)
	}
	v := acknowledgementView{customer: c, SupportMailbox: box, Details: []string{
		knownDetail(t, "root_email", root, ""), nickname, knownDetail(t, "support_type", supportLabel(d.SupportType), ""),
	}}
	return subjectTag(t.T("acknowledgement.subject", "Customer", c.CustomerName), c.RequestID), v, nil
}
