package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/ops"
)

// supportChangeBody is the JSON of POST /v1/accounts/{account_id}/support-changes.
type supportChangeBody struct {
	From       string               `json:"from"`
	To         string               `json:"to"`
	RequestID  string               `json:"request_id"`
	ChangeID   string               `json:"change_id"`
	ReportedBy *events.Party        `json:"reported_by"`
	Reseller   *events.ResellerName `json:"reseller"`
}

// supportRoutes: POST /v1/accounts/{account_id}/support-changes reports a
// support type change; the tickets handler opens its ticket.
func (s *Server) supportRoutes(mux *http.ServeMux) {
	mux.Handle("POST /v1/accounts/{account_id}/support-changes", s.auth(s.changeSupport))
}

func (s *Server) changeSupport(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var b supportChangeBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		s.fail(w, fmt.Errorf("%w: decoding support change: %v", errBadInput, err))
		return
	}
	in := ops.SupportChangeInput{
		ChangeID: b.ChangeID, AccountID: r.PathValue("account_id"), RequestID: b.RequestID, From: b.From, To: b.To,
	}
	if b.ReportedBy != nil {
		in.ReportedBy = *b.ReportedBy
	}
	if b.Reseller != nil {
		in.Reseller = *b.Reseller
	}
	ev, err := s.Ops.ChangeSupport(r.Context(), in)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"change_id": ev.ChangeID})
}
