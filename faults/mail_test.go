package faults

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/smtp"
	"strings"

	"github.com/emersion/go-message/mail"
)

// received is one message as a person reading the mailbox sees it.
type received struct {
	messageID string // without angle brackets
	replyTo   string
	subject   string
	text      string // the text/plain part, transfer-decoded
}

// kind is the kind a Message-ID of acctflow names ("confirmation",
// "followup", "ops_alert.unknown.", …), or "" for someone else's mail.
func (r received) kind() string {
	local, _, _ := strings.Cut(r.messageID, "@")
	// <request id>.<token mac>.<kind>, or <change id>.<kind> for mail
	// nobody answers (tickets, ops alerts).
	_, k, _ := strings.Cut(local, ".")
	if mac, rest, ok := strings.Cut(k, "."); ok && len(mac) == 12 && strings.Trim(mac, "0123456789abcdef") == "" {
		return rest
	}
	return k
}

// readMail decodes raw; a message it cannot read is returned with what it
// could get, since a mangled mail is something to count, not to crash on.
func readMail(raw []byte) received {
	var r received
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if mr == nil {
		return r
	}
	defer mr.Close()
	r.messageID, _ = mr.Header.MessageID()
	r.subject, _ = mr.Header.Subject()
	if list, _ := mr.Header.AddressList("Reply-To"); len(list) > 0 {
		r.replyTo = list[0].Address
	}
	for err == nil {
		var p *mail.Part
		p, err = mr.NextPart()
		if err != nil {
			break
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" && r.text == "" {
				b, _ := io.ReadAll(io.LimitReader(p.Body, 1<<20))
				r.text = string(b)
			}
		}
	}
	return r
}

// byKind returns the messages in address's mailbox whose Message-ID names
// kind, counting the copies and the distinct Message-IDs.
func (w *world) byKind(address, kind string) (msgs []received, distinct int) {
	ids := map[string]bool{}
	for _, raw := range w.mail().Messages(address) {
		if m := readMail(raw); m.kind() == kind {
			msgs = append(msgs, m)
			ids[m.messageID] = true
		}
	}
	return msgs, len(ids)
}

// field returns the value of the first "Label: value" line of text.
func field(text, label string) string {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), label+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// answer sends the contact's reply to the confirmation over SMTP, as a mail
// client would: to its Reply-To, threaded under it.
func (w *world) answer(i int, conf received) error {
	if conf.replyTo == "" {
		return errors.New("confirmation without Reply-To")
	}
	msg := strings.Join([]string{
		"From: Contact " + fmt.Sprint(i) + " <" + contact(i) + ">",
		"To: " + conf.replyTo,
		"Subject: Re: " + conf.subject,
		"Message-ID: <reply-" + reqID(i) + "@faults.example>",
		"In-Reply-To: <" + conf.messageID + ">",
		"References: <" + conf.messageID + ">",
		"Date: Wed, 25 Nov 2026 18:05:00 +0000",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"Hello, here are the details.",
		"",
		"Root email: " + rootEmail(i),
		"Account nickname: Fault " + fmt.Sprint(i),
		"Support type: Business Support",
		"",
		"Thanks,",
		"Contact",
		"",
	}, "\r\n")
	if err := smtp.SendMail(w.smtpAddr, nil, contact(i), []string{conf.replyTo}, []byte(msg)); err != nil {
		return fmt.Errorf("sending the reply of %s: %w", reqID(i), err)
	}
	return nil
}
