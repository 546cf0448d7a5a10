// Package api is the HTTP API: JSON in and out, bearer tokens when
// configured, health and readiness probes and Prometheus metrics.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/acctflow/acctflow/api/auth"
	"github.com/acctflow/acctflow/health"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/schemas"
)

// MaxBody bounds every request body.
const MaxBody = 64 << 10

// Server serves the API.
type Server struct {
	Ops    *ops.Ops
	Tokens auth.Tokens // none: no authentication (loopback only, see CheckExposure)
	// LocalOnly (no tokens, a loopback listener) refuses requests whose
	// Host is not a loopback name, so a web page cannot reach the API
	// through a DNS name rebound to 127.0.0.1.
	LocalOnly bool
	// Console is the ops console, served at /ui/ (nil: none).
	Console    http.Handler
	Ready      func(ctx context.Context) error // used when Components is nil
	Components *health.Registry                // NATS, IMAP readers, adapter circuits (health.go)
	DLQ        *ops.DLQ                        // dead letters (dlq.go); nil: no /v1/dlq
	Gatherer   prometheus.Gatherer
	Logger     *slog.Logger
	Health     map[string]string // facts /healthz shows beside its status, e.g. "aws": "sandbox"

	hideReasons bool // ProbeHandler: component reasons are never shown
}

// ProbeHandler returns only the probes and the metrics, for a process
// that serves no API (--metrics-addr): it needs no NATS permission beyond
// its handlers'. Its /healthz and /readyz name each component and its
// state, never the reason (a server's own words stay in the log).
func (s *Server) ProbeHandler() http.Handler {
	mux := http.NewServeMux()
	p := *s
	p.hideReasons = true
	p.healthRoutes(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}))
	return p.harden(mux)
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.healthRoutes(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}))
	mux.Handle("POST /v1/requests", s.auth(s.createRequest))
	mux.Handle("GET /v1/requests/{id}", s.auth(s.showRequest))
	s.routes(mux)
	s.mountConsole(mux)
	return s.harden(jsonMisses(mux))
}

// jsonMisses answers a /v1/ path no route takes as the API answers
// everything else: JSON, not the mux's plain text. 405 keeps its Allow.
func jsonMisses(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" || !strings.HasPrefix(r.URL.Path, "/v1/") {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &statusProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeError(w, probe.status, r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+probe.header.Get("Allow"))
		case http.StatusNotFound:
			writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
		default: // a redirect to the cleaned path, say
			mux.ServeHTTP(w, r)
		}
	})
}

// statusProbe keeps the status and headers a handler answers with, and
// drops its body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }
func (p *statusProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *statusProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

// auth lets a request through when its bearer token's scope allows its
// method: reading needs read, anything else ops (auth.Needed).
func (s *Server) auth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.Tokens.Enabled() {
			next(w, r)
			return
		}
		secret, _ := auth.Bearer(r)
		tok, ok := s.Tokens.Match(secret)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="acctflow"`)
			writeError(w, http.StatusUnauthorized, "missing or invalid bearer token")
			return
		}
		if need := auth.Needed(r.Method); !tok.Scope.Allows(need) {
			writeError(w, http.StatusForbidden, "this token's scope is "+tok.Scope.String()+"; this needs an "+need.String()+" token")
			return
		}
		next(w, r)
	})
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
	case errors.As(err, &he), errors.Is(err, ops.ErrBusy):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, errBadInput), errors.Is(err, ops.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		// NATS trouble, most likely: the client may retry. The error's
		// words stay in the log, under an id the answer gives.
		s.internal(w, http.StatusServiceUnavailable, "temporarily unavailable", err)
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
	enc.SetEscapeHTML(false) // a JSON API: "<id@host>" stays readable
	_ = enc.Encode(v)
}
