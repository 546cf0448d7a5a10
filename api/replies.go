package api

import (
	"net/http"
)

// replyRoutes: ops decisions on held replies.
func (s *Server) replyRoutes(mux *http.ServeMux) {
	mux.Handle("POST /v1/requests/{id}/replies/release", s.auth(s.command(func(r *http.Request, b body) (any, error) {
		return s.Ops.ReleaseReply(r.Context(), r.PathValue("id"), b.ReplyID, b.By)
	})))
	mux.Handle("POST /v1/requests/{id}/replies/discard", s.auth(s.command(func(r *http.Request, b body) (any, error) {
		return s.Ops.DiscardReply(r.Context(), r.PathValue("id"), b.ReplyID, b.By, b.Reason)
	})))
}
