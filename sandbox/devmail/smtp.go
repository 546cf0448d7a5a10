package devmail

import (
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpMaxLine is generous: hand-written .eml files sent with curl often
// carry long unwrapped HTML lines, which real servers accept.
const smtpMaxLine = 100 << 10

func (s *Sandbox) newSMTPServer() *smtp.Server {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{sb: s}, nil
	}))
	srv.Domain = "localhost"
	srv.MaxMessageBytes = s.cfg.MaxMessageBytes
	srv.MaxRecipients = maxRecipients
	srv.MaxLineLength = smtpMaxLine
	srv.AllowInsecureAuth = true // plain text on loopback, like the rest of the sandbox
	srv.EnableSMTPUTF8 = true
	srv.ReadTimeout = smtpReadTimeout
	srv.WriteTimeout = smtpWriteTimeout
	srv.ErrorLog = libLogger{log: s.log, server: "smtp"}
	return srv
}

// smtpSession is one SMTP transaction at a time on one connection.
type smtpSession struct {
	sb    *Sandbox
	from  string
	rcpts []string
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (ss *smtpSession) Reset() {
	ss.from = ""
	ss.rcpts = nil
}

func (ss *smtpSession) Logout() error { return nil }

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth accepts any credentials, or only the configured password. AUTH is
// optional: mail submitted without it is accepted as well.
func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, _, password string) error {
		if !ss.sb.passwordOK(password) {
			return smtp.ErrAuthFailed
		}
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if from != "" {
		if _, err := normalizeAddress(from); err != nil {
			return smtpReply(fmt.Errorf("sender: %w", err))
		}
	}
	ss.from = from
	ss.rcpts = nil
	return nil
}

// Rcpt refuses a recipient whose mailbox is already full, so that the
// others still get the message.
func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	owner, err := foldAddress(to)
	if err != nil {
		return smtpReply(fmt.Errorf("recipient: %w", err))
	}
	if err := ss.sb.store.hasRoom(owner); err != nil {
		return smtpReply(err)
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	if !ss.sb.gate.enter() {
		return smtpReply(errClosed)
	}
	defer ss.sb.gate.leave()
	// r stops with smtp.ErrDataTooLarge (552) past MaxMessageBytes; go-smtp
	// then drains the rest and keeps the session.
	raw, err := io.ReadAll(r)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se
		}
		return fmt.Errorf("reading message: %w", err)
	}
	err = ss.sb.deliver(ss.from, ss.rcpts, raw)
	reply := smtpReply(err)
	switch {
	case err == nil:
		return nil
	case reply.Code == 451:
		ss.sb.log.Warn("SMTP delivery failed", "err", err)
	default:
		ss.sb.log.Debug("SMTP delivery refused", "code", reply.Code, "err", err)
	}
	return reply
}
