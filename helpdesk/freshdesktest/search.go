package freshdesktest

import (
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

const (
	maxQueryLen  = 512
	perPage      = 30
	maxPages     = 10
	pageErrorMsg = "It should be a Positive Integer less than or equal to 10"
)

// searchTickets serves GET /api/v2/search/tickets?query="…"&page=N: the query
// wrapped in double quotes, at most 512 characters, 30 results a page and at
// most 10 pages, newest first.
func (s *Server) searchTickets(w http.ResponseWriter, r *http.Request) {
	if f, ok := s.begin(&s.searchFaults, &s.searches); ok {
		writeFault(w, f)
		return
	}
	if !authorized(r) {
		writeUnauthorized(w)
		return
	}
	vals := r.URL.Query()
	q, ok := vals["query"]
	if !ok || len(q) != 1 {
		writeValidation(w, []fieldError{{Field: "query", Message: "It should be a/an String", Code: "missing_field"}})
		return
	}
	query := q[0]
	if n := utf8.RuneCountInString(query); n > maxQueryLen {
		writeValidation(w, []fieldError{{Field: "query", Code: "invalid_value",
			Message: "Has " + strconv.Itoa(n) + " characters, it can have maximum of 512 characters"}})
		return
	}
	if len(query) < 2 || query[0] != '"' || query[len(query)-1] != '"' {
		writeValidation(w, []fieldError{{Field: "query", Message: "Query should be enclosed in double quotes", Code: "invalid_value"}})
		return
	}
	match, ferr := parseQuery(query[1 : len(query)-1])
	if ferr != nil {
		writeValidation(w, []fieldError{*ferr})
		return
	}
	page := 1
	if p := vals.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > maxPages {
			writeValidation(w, []fieldError{{Field: "page", Message: pageErrorMsg, Code: "invalid_value"}})
			return
		}
		page = n
	}

	found := s.visible(match)
	results := make([]ticketJSON, 0, perPage)
	for _, t := range found[min((page-1)*perPage, len(found)):min(page*perPage, len(found))] {
		results = append(results, toJSON(t, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "total": len(found)})
}

// visible returns the matching tickets the search index already holds,
// newest first.
func (s *Server) visible(match matcher) []StoredTicket {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	var out []StoredTicket
	for _, t := range s.tickets {
		if now.Sub(t.CreatedAt) >= s.searchLag && match(t) {
			t.Tags = slices.Clone(t.Tags)
			out = append(out, t)
		}
	}
	slices.Reverse(out)
	return out
}
