package mailer

// ConfirmationData is the first mail to the reseller's primary contact,
// asking for root email, account nickname and support type.
type ConfirmationData struct {
	RequestID    string
	ContactName  string // greeted as written; "Hello," alone when empty
	CustomerName string
	// ReplyChannel is ChannelWorkflowReply (US, CA; the default) or
	// ChannelSupportMailbox, which names SupportMailbox in the text. The
	// Reply-To (ReplyAddress of the same mailbox) is the caller's.
	ReplyChannel   string
	SupportMailbox string
	Sig            Signature
}

// Kind implements Data.
func (ConfirmationData) Kind() string { return KindConfirmation }

type confirmationView struct {
	customer
	SupportMailbox string
	Lines          []string
}

func (d ConfirmationData) prepare() (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	box, err := replyChannel(d.ReplyChannel, d.SupportMailbox)
	if err != nil {
		return "", nil, err
	}
	v := confirmationView{customer: c, SupportMailbox: box, Lines: fillLines(true, true, true)}
	return ConfirmationSubject(c.CustomerName, c.RequestID), v, nil
}

// Labels of the lines a reseller fills in; the reply parser reads them.
const (
	LabelRootEmail   = "Root email:"
	LabelNickname    = "Account nickname:"
	LabelSupportType = "Support type:"
)

func fillLines(root, nickname, support bool) []string {
	var l []string
	if root {
		l = append(l, LabelRootEmail)
	}
	if nickname {
		l = append(l, LabelNickname)
	}
	if support {
		l = append(l, LabelSupportType)
	}
	return l
}
