package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// DeadLetter is one message in ACCOUNTS_DLQ, as the page shows it.
type DeadLetter struct {
	Seq        uint64
	Subject    string // the original subject
	Handler    string
	Error      string
	Deliveries uint64
	RequestID  string
	EventID    string
	DeadAt     time.Time
}

// DeadLetters lists and replays ACCOUNTS_DLQ.
type DeadLetters interface {
	List(ctx context.Context) ([]DeadLetter, error)
	// Replay republishes one dead letter for the handler that gave up on
	// it and says what became of it.
	Replay(ctx context.Context, seq uint64) (string, error)
}

// ErrNoDeadLetter: no dead letter with that sequence.
var ErrNoDeadLetter = errors.New("no such dead letter")

type dlqBody struct {
	Letters []DeadLetter
}

func (s *Server) deadLetterPage(w http.ResponseWriter, r *http.Request, ss session) {
	if s.cfg.DeadLetters == nil {
		s.problem(w, r, ss, http.StatusNotFound, "Dead letters are not available on this server.")
		return
	}
	list, err := s.cfg.DeadLetters.List(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	// Newest first: what broke last is what ops look for.
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	d := pageData{Title: "Dead letters", Session: ss, Body: dlqBody{Letters: list}}
	if n, err := strconv.ParseUint(r.URL.Query().Get("replayed"), 10, 64); err == nil {
		d.Notice = "Dead letter " + strconv.FormatUint(n, 10) + " replayed: the handler that gave up on it has it again."
	}
	s.render(w, r, http.StatusOK, "dlq", d)
}

func (s *Server) replay(w http.ResponseWriter, r *http.Request, ss session) {
	if s.cfg.DeadLetters == nil {
		s.problem(w, r, ss, http.StatusNotFound, "Dead letters are not available on this server.")
		return
	}
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		s.problem(w, r, ss, http.StatusBadRequest, "Not a dead letter number: "+strconv.Quote(r.PathValue("seq")))
		return
	}
	_, err = s.cfg.DeadLetters.Replay(r.Context(), seq)
	switch {
	case errors.Is(err, ErrNoDeadLetter):
		s.problem(w, r, ss, http.StatusNotFound, "Dead letter "+strconv.FormatUint(seq, 10)+" is not in ACCOUNTS_DLQ (replayed already?).")
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/ui/dlq?replayed="+strconv.FormatUint(seq, 10), http.StatusSeeOther)
}
