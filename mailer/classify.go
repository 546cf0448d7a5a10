package mailer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/textproto"
	"regexp"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	gmlog "github.com/wneessen/go-mail/log"
	"github.com/wneessen/go-mail/smtp"

	"github.com/acctflow/acctflow/retry"
)

// classify decides once what a failed session means. It knows which SMTP
// command was answered (step, from the session's protocol log), because the
// same 5xx means different things at different steps:
//
//   - Configuration (retry.Configuration: the adapter's circuit opens, no
//     message is dead-lettered): a refused AUTH (535, 534, 538, any 5xx),
//     530 "authentication required" at any step, a 5xx to EHLO/HELO, a 5xx
//     at any step that refuses this client rather than the message (Postfix
//     answers "504 5.5.2 <vm>: Helo command rejected: need fully-qualified
//     hostname" at RCPT time by default; likewise "Client host rejected",
//     "Sender address rejected"), a 5xx greeting
//     (the server refuses this client), a certificate that does not verify,
//     credentials the server gives no way to use (no AUTH offered, no common
//     mechanism, a clear connection).
//   - Permanent (dead-lettered): a 5xx to MAIL, RCPT or DATA — this message
//     or this recipient (550 unknown user) — and a message we refused to
//     build.
//   - Temporary (retried with backoff): everything else — connection errors,
//     timeouts, 4xx, a server that does not offer STARTTLS under a mandatory
//     policy (a downgrade can be transient).
func classify(err error, step string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errInvalid) {
		return retry.Permanent(err)
	}
	if tlsVerification(err) || authUnusable(err) {
		return retry.Configuration(err)
	}
	code := replyCode(err)
	var se *gomail.SendError
	isSend := errors.As(err, &se)
	switch {
	case code == 530:
		return retry.Configuration(err)
	case code/100 == 5 && refusesUs(err):
		return retry.Configuration(err)
	case code/100 == 5 && (step == stepGreeting || step == "EHLO" || step == "HELO" || step == "AUTH" || step == "STARTTLS"):
		return retry.Configuration(err)
	case code/100 == 5:
		return retry.Permanent(err)
	case code/100 == 4:
		return err
	case isSend && (se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts || se.Reason == gomail.ErrNoUnencoded):
		return retry.Permanent(err)
	}
	return err
}

// refusesUs reports a 5xx that refuses this client, not this message. With
// smtpd_delay_reject (the default), Postfix answers its HELO, client and
// sender restrictions at RCPT time, in these words; the same refusal would
// meet every message.
func refusesUs(err error) bool {
	s := err.Error()
	for _, marker := range []string{"Helo command rejected", "Client host rejected", "Sender address rejected"} {
		if strings.Contains(s, marker) {
			return true
		}
	}
	return false
}

// replyCode is the SMTP reply code in err's chain, 0 when there is none.
func replyCode(err error) int {
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		return se.ErrorCode()
	}
	// Failures before MAIL FROM (greeting, EHLO, STARTTLS, AUTH) are not
	// SendErrors; their reply code is in a textproto.Error.
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// tlsVerification reports a server certificate that does not verify: an
// unknown (private) CA without --smtp-ca, a name mismatch, an expired
// certificate. Retrying cannot fix it; the configuration (or the server's
// certificate) must change.
func tlsVerification(err error) bool {
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// authUnusable reports credentials the server offers no way to use.
func authUnusable(err error) bool {
	for _, e := range []error{
		smtp.ErrUnencrypted, smtp.ErrWrongHostname, gomail.ErrNoSupportedAuthDiscovered,
		gomail.ErrPlainAuthNotSupported, gomail.ErrLoginAuthNotSupported, gomail.ErrSCRAMSHA256AuthNotSupported,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return strings.Contains(err.Error(), "server does not support SMTP AUTH")
}

// stepGreeting is the step before any command: the server's greeting.
const stepGreeting = "greeting"

// stepTracker is go-mail's protocol logger, reduced to remembering which
// command failed, so that classify knows which step a reply answers. It
// never keeps arguments (addresses, credentials). go-mail logs each command
// before sending it and the server's reply only when it is a success, so a
// command followed by another command without a reply in between is the one
// that failed (go-mail goes on with RSET or QUIT after a failure).
type stepTracker struct {
	mu      sync.Mutex
	pending string // the last command sent, until its success is logged
	failed  string // the first command that got no successful reply
	last    string // the last command sent (DATA's final reply is never logged)
}

func (t *stepTracker) step() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.failed != "":
		return t.failed
	case t.pending != "":
		return t.pending
	case t.last != "":
		return t.last
	}
	return stepGreeting
}

func (t *stepTracker) Debugf(l gmlog.Log) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l.Direction == gmlog.DirServerToClient {
		t.pending = ""
		return
	}
	verb := strings.ToUpper(strings.TrimSpace(l.Format))
	if i := strings.IndexAny(verb, " :"); i >= 0 {
		verb = verb[:i]
	}
	if verb == "%S" {
		// Only AUTH and its continuation lines are logged as a bare "%s"
		// (their argument holds the credentials, which go-mail redacts).
		verb = "AUTH"
	}
	if t.pending != "" && t.failed == "" {
		t.failed = t.pending
	}
	t.pending, t.last = verb, verb
}

func (t *stepTracker) Infof(gmlog.Log)  {}
func (t *stepTracker) Warnf(gmlog.Log)  {}
func (t *stepTracker) Errorf(gmlog.Log) {}

// sendError reports a failed send with every email address in the server's
// text masked (DESIGN §7: logs and dead-letter reasons carry no local parts),
// while errors.As/Is still reach the original chain.
type sendError struct {
	what string
	id   string // our own Message-ID, left readable
	err  error
}

func (e *sendError) Error() string {
	return e.what + ": " + strings.ReplaceAll(maskAddresses(e.err.Error()), maskAddresses(e.id), e.id)
}
func (e *sendError) Unwrap() error { return e.err }

// wrapSend adds context and the ctx cause, then classifies.
func wrapSend(ctx context.Context, what, id, step string, err error) error {
	if err == nil {
		return nil
	}
	cause := ctx.Err()
	// The connection's deadline is the context's: an i/o timeout can beat
	// the context's own timer by a hair.
	if dl, ok := ctx.Deadline(); cause == nil && ok && !time.Now().Before(dl) {
		cause = context.DeadlineExceeded
	}
	if cause != nil && !errors.Is(err, cause) {
		err = errors.Join(err, cause)
	}
	if step != "" && step != stepGreeting {
		what += " (at " + step + ")"
	}
	return classify(&sendError{what: what, id: id, err: err}, step)
}

var addressPattern = regexp.MustCompile(`[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*)`)

// maskAddresses keeps the domain and the first character of each local part:
// enough to tell recipients apart in a log, too little to harvest them.
func maskAddresses(s string) string {
	return addressPattern.ReplaceAllStringFunc(s, func(a string) string {
		at := len(a) - len(addressPattern.FindStringSubmatch(a)[1]) - 1
		return a[:1] + "***" + a[at:]
	})
}

// MaskAddress is maskAddresses for one address, for callers that log
// recipients.
func MaskAddress(addr string) string { return maskAddresses(addr) }
