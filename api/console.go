package api

import "net/http"

// mountConsole serves the ops console under /ui/ on the API's listener; the
// console authenticates its own visitors (session cookie or bearer token).
func (s *Server) mountConsole(mux *http.ServeMux) {
	if s.Console == nil {
		return
	}
	mux.Handle("/ui/", s.Console)
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
}
