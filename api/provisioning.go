package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/acctflow/acctflow/ops"
)

// provisioningRoutes: POST /v1/requests/{id}/provisioning/retry creates the
// account again for a request whose CreateAccount outcome is unknown, after
// ops checked AWS Organizations (body: {"by": "..."}, optional); 409 with
// the CreateAccount's state in every other state.
func (s *Server) provisioningRoutes(mux *http.ServeMux) {
	mux.Handle("POST /v1/requests/{id}/provisioning/retry", s.auth(s.retryProvisioning))
}

func (s *Server) retryProvisioning(w http.ResponseWriter, r *http.Request) {
	data, ok := readBody(w, r)
	if !ok {
		return
	}
	var b struct {
		By string `json:"by"`
	}
	if len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
			return
		}
	}
	e, err := s.Ops.RetryProvisioning(r.Context(), r.PathValue("id"), b.By)
	var refused *ops.RetryRefused
	switch {
	case errors.As(err, &refused):
		writeJSON(w, http.StatusConflict, map[string]string{"error": refused.Error(), "state": refused.State})
	case err != nil:
		s.fail(w, err)
	default:
		writeJSON(w, http.StatusAccepted, e)
	}
}
