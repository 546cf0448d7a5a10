package api

import (
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/acctflow/acctflow/api/reqid"
)

// harden wraps every route: each request gets a correlation id (reqid), a
// panic answers 500 with it, a local-only server refuses foreign Host names,
// and no body may be larger than MaxBody.
func (s *Server) harden(h http.Handler) http.Handler {
	return reqid.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.internal(w, http.StatusInternalServerError, "internal error", fmt.Errorf("panic: %v", v))
			}
		}()
		if s.LocalOnly && !LoopbackHost(r.Host) {
			writeError(w, http.StatusMisdirectedRequest, "this server answers only to localhost, 127.0.0.1 or [::1] (no API tokens are configured)")
			return
		}
		// No route reads more than MaxBody; the limit holds for every one.
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		}
		h.ServeHTTP(w, r)
	}))
}

// LoopbackHost reports whether a Host header names this machine.
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// internal answers a server-side failure without its text: the client gets
// the request's correlation id (reqid), the log gets the error under it.
func (s *Server) internal(w http.ResponseWriter, status int, msg string, err error) {
	id := w.Header().Get(reqid.Header) // set by harden for every request
	if id == "" {
		id = reqid.New()
	}
	s.Logger.Error("HTTP request failed", "correlation_id", id, "status", status, "err", err)
	writeJSON(w, status, map[string]string{"error": msg, "correlation_id": id})
}
