package api

import "net/http"

// supportRoutes: POST /v1/accounts/{account_id}/support-changes (tickets issue).
func (s *Server) supportRoutes(mux *http.ServeMux) {}
