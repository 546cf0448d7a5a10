package mailer

// KindHeldConfirm asks the contact to confirm a reply that proves nothing
// about who sent it.
const KindHeldConfirm = "held"

// HeldConfirmData asks the primary contact to confirm, by replying, the
// details of a reply that came without the token of our email (it may be
// forged). Send it to the primary contact on record, never to the reply's
// From, with the tokenised Reply-To: only the real contact can answer it.
type HeldConfirmData struct {
	RequestID    string
	ContactName  string
	CustomerName string
	From         string // the address the held reply claims to be from
	ReceivedAt   string // when it came, as the event says
	// What the held reply says; empty means it did not say.
	RootEmail   string
	Nickname    string
	SupportType string
	RoleARN     string
	Lang        Lang
	Sig         Signature
}

// Kind implements Data.
func (HeldConfirmData) Kind() string     { return KindHeldConfirm }
func (d HeldConfirmData) language() Lang { return d.Lang }

type heldView struct {
	customer
	From, ReceivedAt string
	// Lines restate the held reply as answer lines ("Root email: …"), so
	// the contact can correct one in place.
	Lines []string
}

func (d HeldConfirmData) prepare(t *tr) (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	if err := checkSupportType(d.SupportType, true); err != nil {
		return "", nil, err
	}
	v := heldView{customer: c, From: oneLine(d.From), ReceivedAt: oneLine(d.ReceivedAt)}
	labels := answerLines(t, true, true, true)
	for i, value := range []string{oneLine(d.RootEmail), oneLine(d.Nickname), supportLabel(d.SupportType)} {
		if value != "" {
			v.Lines = append(v.Lines, labels[i]+" "+value)
		}
	}
	if role := oneLine(d.RoleARN); role != "" {
		v.Lines = append(v.Lines, "Role ARN: "+role)
	}
	return subjectTag(t.T("held.subject", "Customer", c.CustomerName), c.RequestID), v, nil
}
