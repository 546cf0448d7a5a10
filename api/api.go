// Package api is the HTTP API: JSON in and out, bearer tokens when
// configured, health and readiness probes and Prometheus metrics.
package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/schemas"
)

// MaxBody bounds every request body.
const MaxBody = 64 << 10

// Server serves the API.
type Server struct {
	Ops      *ops.Ops
	Tokens   []string // empty: no authentication
	Ready    func(ctx context.Context) error
	Gatherer prometheus.Gatherer
	Logger   *slog.Logger
	Health   map[string]string // facts /healthz shows beside its status, e.g. "aws": "sandbox"
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		h := map[string]string{"status": "ok"}
		for k, v := range s.Health {
			h[k] = v
		}
		writeJSON(w, http.StatusOK, h)
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}))
	mux.Handle("POST /v1/requests", s.auth(s.createRequest))
	mux.Handle("GET /v1/requests/{id}", s.auth(s.showRequest))
	s.routes(mux)
	return mux
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.Ready(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) auth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(s.Tokens) > 0 && !s.authorised(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="acctflow"`)
			writeError(w, http.StatusUnauthorized, "missing or invalid bearer token")
			return
		}
		next(w, r)
	})
}

func (s *Server) authorised(header string) bool {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		return false
	}
	match := 0
	for _, t := range s.Tokens {
		match |= subtle.ConstantTimeCompare([]byte(token), []byte(t))
	}
	return match == 1
}

// readBody reads a bounded JSON body, answering 413 or 400 itself.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, "body larger than 64 KiB")
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return nil, false
	}
	return body, true
}

func (s *Server) createRequest(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := s.Ops.CreateRequest(r.Context(), body)
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Location", "/v1/requests/"+req.RequestID)
	writeJSON(w, http.StatusAccepted, map[string]string{"request_id": req.RequestID})
}

func (s *Server) showRequest(w http.ResponseWriter, r *http.Request) {
	rec, err := s.Ops.Show(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// fail maps an error to its status: field errors 400, unknown 404, wrong
// stage 409, anything else 503 (NATS trouble; the client may retry).
func (s *Server) fail(w http.ResponseWriter, err error) {
	var ve *schemas.ValidationError
	var se *ops.StageError
	var he *ops.HeldError
	switch {
	case errors.As(err, &ve):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid " + ve.Schema, "errors": ve.Fields})
	case ops.IsNotFound(err):
		writeError(w, http.StatusNotFound, "request not found")
	case errors.As(err, &se):
		writeJSON(w, http.StatusConflict, map[string]string{"error": se.Error(), "stage": string(se.Stage)})
	case errors.As(err, &he):
		writeError(w, http.StatusConflict, he.Error())
	case errors.Is(err, errBadInput):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		s.Logger.Error("api request failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "temporarily unavailable: "+err.Error())
	}
}

var errBadInput = errors.New("bad input")

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
