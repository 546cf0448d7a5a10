package api

import (
	"errors"
	"net/http"

	"github.com/acctflow/acctflow/ops"
)

// dlqRoutes: dead letters (`acctflow dlq` over HTTP).
//
//	GET  /v1/dlq[?subject=S]          list (S: the original subject, wildcards allowed)
//	GET  /v1/dlq/{seq}                one, with headers and payload
//	POST /v1/dlq/{seq}/replay         replay one
//	POST /v1/dlq/replay[?subject=S]   replay all (matching S)
func (s *Server) dlqRoutes(mux *http.ServeMux) {
	if s.DLQ == nil {
		return
	}
	mux.Handle("GET /v1/dlq", s.auth(s.listDLQ))
	mux.Handle("GET /v1/dlq/{seq}", s.auth(s.showDLQ))
	mux.Handle("POST /v1/dlq/{seq}/replay", s.auth(s.replayDLQ))
	mux.Handle("POST /v1/dlq/replay", s.auth(s.replayAllDLQ))
}

func (s *Server) listDLQ(w http.ResponseWriter, r *http.Request) {
	list, err := s.DLQ.List(r.Context(), r.URL.Query().Get("subject"))
	if err != nil {
		s.failDLQ(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": list, "count": len(list)})
}

func (s *Server) showDLQ(w http.ResponseWriter, r *http.Request) {
	seq, err := ops.ParseSeq(r.PathValue("seq"))
	if err != nil {
		s.failDLQ(w, err)
		return
	}
	dl, err := s.DLQ.Show(r.Context(), seq)
	if err != nil {
		s.failDLQ(w, err)
		return
	}
	writeJSON(w, http.StatusOK, dl)
}

func (s *Server) replayDLQ(w http.ResponseWriter, r *http.Request) {
	seq, err := ops.ParseSeq(r.PathValue("seq"))
	if err != nil {
		s.failDLQ(w, err)
		return
	}
	res, err := s.DLQ.Replay(r.Context(), seq)
	if err != nil {
		s.failDLQ(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) replayAllDLQ(w http.ResponseWriter, r *http.Request) {
	res, err := s.DLQ.ReplayAll(r.Context(), r.URL.Query().Get("subject"))
	body := map[string]any{"replayed": res, "count": len(res)}
	if err != nil {
		if ops.IsBadDLQInput(err) {
			s.failDLQ(w, err)
			return
		}
		body["error"] = err.Error()
		writeJSON(w, http.StatusMultiStatus, body)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) failDLQ(w http.ResponseWriter, err error) {
	switch {
	case ops.IsBadDLQInput(err):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, ops.ErrDeadLetterNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	default:
		s.fail(w, err)
	}
}
