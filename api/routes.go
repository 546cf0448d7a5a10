package api

import "net/http"

// routes adds the endpoints of the later stages.
func (s *Server) routes(mux *http.ServeMux) {
	s.supportRoutes(mux)
	s.accountRoutes(mux)
	s.replyRoutes(mux)
	s.provisioningRoutes(mux)
}
