package mailer

import "strings"

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
	Lang           Lang // LangFor the reseller; "" is English
	Sig            Signature
}

// Kind implements Data.
func (ConfirmationData) Kind() string     { return KindConfirmation }
func (d ConfirmationData) language() Lang { return d.Lang }

type confirmationView struct {
	customer
	SupportMailbox string
	Lines          []string
}

func (d ConfirmationData) prepare(t *tr) (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	box, err := replyChannel(d.ReplyChannel, d.SupportMailbox)
	if err != nil {
		return "", nil, err
	}
	v := confirmationView{customer: c, SupportMailbox: box, Lines: answerLines(t, true, true, true)}
	return confirmationSubject(t, c), v, nil
}

// confirmationSubject is DESIGN §1's subject in English, and its
// translation with the same [request_id] tag in every other language.
func confirmationSubject(t *tr, c customer) string {
	return subjectTag(t.T("confirmation.subject", "Customer", c.CustomerName), c.RequestID)
}

// Labels of the lines a reseller fills in; the reply parser reads them.
const (
	LabelRootEmail   = "Root email:"
	LabelNickname    = "Account nickname:"
	LabelSupportType = "Support type:"
)

// answerLines are the lines to fill in, for the fields asked. In English
// they are the labels; in any other language the English label stays at the
// start, so every reply parses, with the translation as an aside the parser
// skips: "Root email (E-Mail-Adresse des Root-Benutzers):".
func answerLines(t *tr, root, nickname, support bool) []string {
	var l []string
	add := func(label, key string) {
		en := strings.TrimSuffix(label, ":")
		if local := t.T(key); local != "" && local != en {
			label = en + " (" + local + "):"
		}
		l = append(l, label)
	}
	if root {
		add(LabelRootEmail, "common.answer_root_email")
	}
	if nickname {
		add(LabelNickname, "common.answer_nickname")
	}
	if support {
		add(LabelSupportType, "common.answer_support_type")
	}
	return l
}
