package mailer

import (
	"errors"
	"fmt"
	"regexp"
)

// Reply channels of AccountRouted (DESIGN §3).
const (
	ChannelWorkflowReply  = "workflow_reply"  // US, CA: reply to the workflow mail
	ChannelSupportMailbox = "support_mailbox" // elsewhere: the region's support mailbox
)

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// customer is what every customer-facing view carries, cleaned.
type customer struct {
	RequestID    string
	ContactName  string
	CustomerName string
	Sig          Signature
}

func newCustomer(requestID, contact, customerName string, sig Signature) (customer, error) {
	c := customer{RequestID: requestID, ContactName: oneLine(contact), CustomerName: oneLine(customerName), Sig: sig.clean()}
	if !requestIDPattern.MatchString(requestID) {
		return c, fmt.Errorf("invalid request id %q", oneLine(requestID))
	}
	if c.CustomerName == "" {
		return c, errors.New("customer name is empty")
	}
	return c, nil
}

// replyChannel checks the channel and returns the mailbox to name in the
// text ("" for workflow replies).
func replyChannel(channel, mailbox string) (string, error) {
	switch channel {
	case ChannelWorkflowReply, "":
		return "", nil
	case ChannelSupportMailbox:
		if _, _, err := splitMailbox(mailbox); err != nil {
			return "", fmt.Errorf("support mailbox: %w", err)
		}
		return mailbox, nil
	}
	return "", fmt.Errorf("unknown reply channel %q", oneLine(channel))
}

func checkAccountID(what, id string) error {
	if !accountIDPattern.MatchString(id) {
		return fmt.Errorf("%s %q is not a 12-digit AWS account id", what, oneLine(id))
	}
	return nil
}

func checkSupportType(t string, optional bool) error {
	if (t == "" && optional) || supportLabel(t) != "" {
		return nil
	}
	return fmt.Errorf("unknown support type %q", oneLine(t))
}

// ConfirmationSubject is the English subject of the confirmation mail
// (DESIGN §1); replies keep it, so the inbox can find the [request_id] tag.
func ConfirmationSubject(customerName, requestID string) string {
	return subjectTag("Customer Account Provision Request Received\u2014Amazon Web Services ("+oneLine(customerName)+")", requestID)
}
