package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/acctflow/acctflow/ops"
)

type searchBody struct {
	Query string
	Hits  []ops.Hit
	More  bool
}

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, ss session) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	hits, more, err := s.search.Find(r.Context(), q)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	// One exact hit by id: straight to the request.
	if len(hits) == 1 && hits[0].RequestID == q {
		http.Redirect(w, r, "/ui/requests/"+url.PathEscape(q), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "search", pageData{Title: "Search", Session: ss, Body: searchBody{Query: q, Hits: hits, More: more}})
}
