package freshdesktest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// fieldError is one entry of Freshdesk's "Validation failed" answer.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func validationBody(errs []fieldError) map[string]any {
	return map[string]any{"description": "Validation failed", "errors": errs}
}

func writeValidation(w http.ResponseWriter, errs []fieldError) {
	writeJSON(w, http.StatusBadRequest, validationBody(errs))
}

func unauthorizedBody() map[string]string {
	return map[string]string{"code": "invalid_credentials", "message": "You have to be logged in to perform this action."}
}

func writeUnauthorized(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnauthorized, unauthorizedBody())
}

// writeFault answers an injected fault with a body shaped like Freshdesk's.
func writeFault(w http.ResponseWriter, f fault) {
	if f.retryAfter > 0 {
		secs := (f.retryAfter + time.Second - 1) / time.Second
		w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	switch f.status {
	case http.StatusBadRequest:
		writeValidation(w, []fieldError{{Field: "subject", Message: "Injected validation failure", Code: "invalid_value"}})
	case http.StatusUnauthorized:
		writeUnauthorized(w)
	case http.StatusForbidden:
		writeJSON(w, f.status, map[string]string{"code": "access_denied", "message": "You are not authorized to perform this action."})
	case http.StatusTooManyRequests:
		writeJSON(w, f.status, map[string]string{"code": "rate_limited", "message": "You have exceeded the limit of requests."})
	default:
		writeJSON(w, f.status, map[string]string{"code": "injected_fault", "message": http.StatusText(f.status)})
	}
}

// ticketJSON is a ticket as the API shows it; search results leave out the
// description.
type ticketJSON struct {
	ID          int64    `json:"id"`
	Subject     string   `json:"subject"`
	Description string   `json:"description,omitempty"`
	RequesterID int64    `json:"requester_id"`
	Priority    int      `json:"priority"`
	Status      int      `json:"status"`
	Source      int      `json:"source"`
	Type        *string  `json:"type"`
	Tags        []string `json:"tags"`
	CCEmails    []string `json:"cc_emails"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
}

func toJSON(t StoredTicket, withDescription bool) ticketJSON {
	j := ticketJSON{
		ID: t.ID, Subject: t.Subject, RequesterID: t.RequesterID, Priority: t.Priority, Status: t.Status,
		Source: 2, Tags: t.Tags, CCEmails: []string{},
		CreatedAt: t.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: t.CreatedAt.UTC().Format(time.RFC3339),
	}
	if withDescription {
		j.Description = t.Description
	}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	return j
}
