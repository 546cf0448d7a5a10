package console

import (
	"errors"
	"net/http"
	"slices"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
)

// requestBody is what the request page shows.
type requestBody struct {
	Rec     lifecycle.Record
	Summary lifecycle.Summary
	Open    bool
	Waiting string
	Support string // the current support type
	// Missing says in words what the details still lack (lifecycle's
	// Record.Missing).
	Missing string
	// ExpectedGroup is the support plan group the support type calls for
	// ("" when the support type is not known); Groups are the choices.
	ExpectedGroup string
	Groups        []string
	Timeline      []item
	Actions       actions
	Emails        []Email // every email about it the sandbox holds (dev only)
	MailNote      string  // why emails are not listed
	// Failures newest first.
	Failures []lifecycle.Failure
}

// actions are what the request's stage allows (the same guards as ops).
type actions struct {
	Approve, Reject, Account, Retry, Role, Group bool
	// Held are the held replies waiting; Release whether they can still
	// apply (not once the request ended: they can only be discarded).
	Held    []lifecycle.HeldReply
	Release bool
}

func (a actions) Any() bool {
	return a.Approve || a.Reject || a.Account || a.Retry || a.Role || a.Group || len(a.Held) > 0
}

func allowed(rec lifecycle.Record) actions {
	var a actions
	switch rec.Stage {
	case lifecycle.StageAwaitingDetails:
		a.Reject = true
	case lifecycle.StageDetailsReceived:
		a.Approve, a.Reject = true, true
	case lifecycle.StageApproved, lifecycle.StageCreationFailed:
		a.Account, a.Retry = true, true
	case lifecycle.StageCreated, lifecycle.StageRoleValidated:
		a.Role, a.Group = true, true
	}
	for _, h := range rec.Held {
		if h.Status == lifecycle.HeldWaiting {
			a.Held = append(a.Held, h)
		}
	}
	a.Release = !rec.Stage.Ended()
	return a
}

func (s *Server) requestData(w http.ResponseWriter, r *http.Request, ss session) (pageData, bool) {
	id := r.PathValue("id")
	var cursor string
	if s.cfg.Live != nil {
		cursor = s.cfg.Live.Cursor()
	}
	rec, err := s.cfg.Ops.Show(r.Context(), id)
	if errors.Is(err, ops.ErrNotFound) {
		s.problem(w, r, ss, http.StatusNotFound, "No request "+id+" is known.")
		return pageData{}, false
	}
	if err != nil {
		s.internal(w, r, err)
		return pageData{}, false
	}
	return pageData{Title: rec.RequestID, Session: ss, Region: rec.Region, Cursor: cursor, Body: s.requestBody(r, rec)}, true
}

func (s *Server) requestBody(r *http.Request, rec lifecycle.Record) requestBody {
	sum, open := lifecycle.Summarize(rec)
	b := requestBody{Rec: rec, Summary: sum, Open: open, Support: rec.SupportType(), Missing: rec.Missing(),
		Timeline: timeline(rec), Actions: allowed(rec), Groups: supportGroups}
	switch {
	case b.Support != "":
		b.ExpectedGroup = events.GroupFor(b.Support)
	case rec.SupportGroup != nil:
		b.ExpectedGroup = rec.SupportGroup.Expected
	}
	if l, ok := groupLabels[sum.Waiting]; ok && open {
		b.Waiting = l[0]
	}
	b.Failures = slices.Clone(rec.Failures)
	slices.Reverse(b.Failures)
	if s.cfg.Mail != nil {
		list, err := s.cfg.Mail.About(r.Context(), rec.RequestID, recipients(rec))
		if err != nil {
			s.cfg.Logger.Warn("console: listing sandbox emails", "request", rec.RequestID, "err", err)
			b.MailNote = "The emails could not be listed just now."
		}
		b.Emails = list
	}
	return b
}

// supportGroups are the support plan groups ops choose from.
var supportGroups = []string{events.GroupPassthrough, events.GroupBusinessSupport}

// recipients are the addresses emails about a request go to.
func recipients(rec lifecycle.Record) []string {
	var out []string
	add := func(a string) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if q := rec.Request; q != nil {
		add(q.Reseller.PrimaryContact.Email)
		for _, a := range q.Reseller.AuthorisedSenders {
			add(a)
		}
	}
	if c := rec.Confirmation; c != nil {
		add(c.Recipient)
	}
	return out
}

func (s *Server) requestPage(w http.ResponseWriter, r *http.Request, ss session) {
	d, ok := s.requestData(w, r, ss)
	if !ok {
		return
	}
	d.Notice = doneNotice[r.URL.Query().Get("done")]
	s.render(w, r, http.StatusOK, "request", d)
}

// requestPanel is the page's changing part, fetched when the live feed
// says the request changed.
func (s *Server) requestPanel(w http.ResponseWriter, r *http.Request, ss session) {
	if d, ok := s.requestData(w, r, ss); ok {
		s.render(w, r, http.StatusOK, "panel", d)
	}
}
