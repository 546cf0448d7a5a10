package mailer

import (
	"context"
	"errors"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"github.com/acctflow/acctflow/retry"
	gomail "github.com/wneessen/go-mail"
)

// classify decides once whether a failed send may succeed later. Permanent:
// a 5xx reply at any step (greeting, EHLO, AUTH, MAIL, RCPT, DATA), an
// address go-mail could not use, a message we refused to build. Everything
// else — connection errors, timeouts, TLS trouble, 4xx — is temporary, so the
// caller retries with backoff and dead-letters only what retrying cannot fix.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errInvalid) {
		return retry.Permanent(err)
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch {
		case se.IsTemp():
			return err
		case se.ErrorCode()/100 == 5:
			return retry.Permanent(err)
		case se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts || se.Reason == gomail.ErrNoUnencoded:
			return retry.Permanent(err)
		}
		return err
	}
	// Failures before MAIL FROM (greeting, EHLO, STARTTLS, AUTH) are not
	// SendErrors; their reply code is in a textproto.Error.
	var te *textproto.Error
	if errors.As(err, &te) && te.Code/100 == 5 {
		return retry.Permanent(err)
	}
	return err
}

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
func wrapSend(ctx context.Context, what, id string, err error) error {
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
	return classify(&sendError{what: what, id: id, err: err})
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
