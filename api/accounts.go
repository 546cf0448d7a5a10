package api

import "net/http"

// accountRoutes: approve/reject, role submission (provisioning issue).
func (s *Server) accountRoutes(mux *http.ServeMux) {}
