package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/acctflow/acctflow/ops"
)

// accountRoutes: ops decisions and facts about the created account.
func (s *Server) accountRoutes(mux *http.ServeMux) {
	mux.Handle("POST /v1/requests/{id}/approve", s.auth(s.command(func(r *http.Request, b body) (any, error) {
		id := r.PathValue("id")
		if strings.TrimSpace(b.By) == "" {
			// An approval says who gave it (a token names nobody).
			if _, err := s.Ops.Show(r.Context(), id); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf(`%w: "by" is required: who approves (an address or a name), kept with the approval`, ops.ErrInvalid)
		}
		return s.Ops.Approve(r.Context(), id, b.By, b.Note)
	})))
	mux.Handle("POST /v1/requests/{id}/reject", s.auth(s.command(func(r *http.Request, b body) (any, error) {
		return s.Ops.Reject(r.Context(), r.PathValue("id"), b.Reason)
	})))
	mux.Handle("POST /v1/requests/{id}/role", s.auth(s.command(func(r *http.Request, b body) (any, error) {
		return s.Ops.SubmitRole(r.Context(), r.PathValue("id"), b.RoleARN, "acctflow/api")
	})))
	mux.Handle("POST /v1/requests/{id}/account", s.auth(s.command(func(r *http.Request, b body) (any, error) {
		return s.Ops.RecordAccount(r.Context(), r.PathValue("id"), b.AccountID)
	})))
	mux.Handle("POST /v1/requests/{id}/support-group", s.auth(s.command(func(r *http.Request, b body) (any, error) {
		return s.Ops.AssignSupportGroup(r.Context(), r.PathValue("id"), b.Group)
	})))
}

// body is the union of the commands' JSON bodies; each reads its fields.
type body struct {
	By        string `json:"by"`
	Note      string `json:"note"`
	Reason    string `json:"reason"`
	RoleARN   string `json:"role_arn"`
	AccountID string `json:"account_id"`
	Group     string `json:"group"`
	ReplyID   string `json:"reply_id"`
}

// command decodes the body, runs f and answers 202 with the event it
// published, or the error's status.
func (s *Server) command(f func(*http.Request, body) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, ok := readBody(w, r)
		if !ok {
			return
		}
		var b body
		if len(data) > 0 {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&b); err != nil {
				writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
				return
			}
		}
		e, err := f(r, b)
		if err != nil {
			s.fail(w, err)
			return
		}
		writeJSON(w, http.StatusAccepted, e)
	}
}
