package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/reply"
)

// Email is one email sent about a request.
type Email struct {
	To, MessageID, Subject, Date string
}

// MailTexts finds the emails acctflow sent (the dev mail sandbox keeps
// them; a production SMTP server does not give them back).
type MailTexts interface {
	// About lists the emails about a request in the recipients' mailboxes.
	About(ctx context.Context, requestID string, recipients []string) ([]Email, error)
	// Text returns one email as sent (RFC 5322).
	Text(ctx context.Context, recipient, messageID string) ([]byte, error)
}

// ReplyTexts finds the raw text of a reply acctflow received (object store
// mail-raw), by its Message-ID or reply id, near the time it was read.
type ReplyTexts interface {
	Raw(ctx context.Context, ref string, near time.Time) ([]byte, error)
}

// ErrNoText: the text is not (or no longer) available.
var ErrNoText = errors.New("text not available")

type mailBody struct {
	RequestID string
	Kind      string // "Email sent" or "Reply received"
	Message   message
	Read      *reply.Extraction // what acctflow read from a reply
}

// sentMail shows an email sent about a request: only to one of its
// recipients, only one of its Message-IDs.
func (s *Server) sentMail(w http.ResponseWriter, r *http.Request, ss session) {
	id := r.PathValue("id")
	to, mid := r.URL.Query().Get("to"), strings.Trim(r.URL.Query().Get("mid"), "<>")
	rec, err := s.cfg.Ops.Show(r.Context(), id)
	if err != nil {
		s.showErr(w, r, ss, err)
		return
	}
	if s.cfg.Mail == nil || !slices.Contains(recipients(rec), to) || !belongs(rec, mid) {
		s.problem(w, r, ss, http.StatusNotFound, "That email's text is not available here.")
		return
	}
	raw, err := s.cfg.Mail.Text(r.Context(), to, mid)
	if errors.Is(err, ErrNoText) {
		s.problem(w, r, ss, http.StatusNotFound, "The mailbox no longer holds that email.")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mail", pageData{Title: "Email " + mid, Session: ss, Region: rec.Region,
		Body: mailBody{RequestID: id, Kind: "Email sent", Message: readMessage(raw)}})
}

// replyText shows a reply received for a request, and what was read from it.
func (s *Server) replyText(w http.ResponseWriter, r *http.Request, ss session) {
	id, ref := r.PathValue("id"), strings.Trim(r.PathValue("ref"), "<>")
	rec, err := s.cfg.Ops.Show(r.Context(), id)
	if err != nil {
		s.showErr(w, r, ss, err)
		return
	}
	at, ok := replyOf(rec, ref)
	if s.cfg.Replies == nil || !ok {
		s.problem(w, r, ss, http.StatusNotFound, "That reply's text is not available here.")
		return
	}
	raw, err := s.cfg.Replies.Raw(r.Context(), ref, at)
	if errors.Is(err, ErrNoText) {
		s.problem(w, r, ss, http.StatusNotFound, "The reply's text was not found in mail-raw.")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	ex := reply.Parse(raw).Extraction
	s.render(w, r, http.StatusOK, "mail", pageData{Title: "Reply " + ref, Session: ss, Region: rec.Region,
		Body: mailBody{RequestID: id, Kind: "Reply received", Message: readMessage(raw), Read: &ex}})
}

func (s *Server) showErr(w http.ResponseWriter, r *http.Request, ss session, err error) {
	if errors.Is(err, lifecycle.ErrNotFound) {
		s.problem(w, r, ss, http.StatusNotFound, "No request "+r.PathValue("id")+" is known.")
		return
	}
	s.internal(w, r, err)
}

// belongs reports whether a Message-ID is one of the request's: ours carry
// the request id first (<request_id>.<mac>.<kind>@domain), events name the
// others, and the sandbox listing finds them by subject tag too.
func belongs(rec lifecycle.Record, mid string) bool {
	if mid == "" {
		return false
	}
	if ours(mid, rec.RequestID) {
		return true
	}
	for _, it := range timeline(rec) {
		if it.Mail != nil && strings.Trim(it.Mail.MessageID, "<>") == mid {
			return true
		}
	}
	return false
}

// replyOf finds a reply the record mentions and when it was read.
func replyOf(rec lifecycle.Record, ref string) (time.Time, bool) {
	if ref == "" {
		return time.Time{}, false
	}
	for _, it := range timeline(rec) {
		if it.Reply != "" && strings.Trim(it.Reply, "<>") == ref {
			t, _ := time.Parse(time.RFC3339, it.At)
			return t, true
		}
	}
	return time.Time{}, false
}
