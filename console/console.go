// Package console is the ops console: server-rendered pages under /ui/ on
// the API's listener, for the cloud-support ops team of each region — the
// open requests grouped by what they wait for, live over Server-Sent
// Events; each request's whole timeline and the actions its stage allows
// (the same ops operations as the CLI and the HTTP API); the dead letters;
// search; a CSV export. Templates, styles and the one small script are
// embedded; there is no frontend build.
package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/acctflow/acctflow/api/auth"
	"github.com/acctflow/acctflow/api/reqid"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
)

//go:embed assets
var assets embed.FS

// Records reads lifecycle records (lifecycle.Store).
type Records interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// OpenIndex reads a region's open requests (lifecycle.Index).
type OpenIndex interface {
	Open(ctx context.Context, region string) ([]lifecycle.Summary, error)
}

// Region is one ops team's region.
type Region struct {
	Name    string
	OpsTeam string
}

// Config is what the console needs; optional parts may be nil.
type Config struct {
	Ops     *ops.Ops
	Records Records
	Index   OpenIndex
	Regions []Region
	Tokens  auth.Tokens
	// Live feeds the pages' Server-Sent Events (nil: pages do not update).
	Live *Hub
	// DeadLetters lists and replays ACCOUNTS_DLQ (nil: no dead-letter page).
	DeadLetters DeadLetters
	// Mail finds the text of emails sent (nil: Message-IDs only).
	Mail MailTexts
	// Replies finds the raw text of replies received (nil: none).
	Replies ReplyTexts
	Logger  *slog.Logger
	Now     func() time.Time
}

// Server serves the console.
type Server struct {
	cfg        Config
	pages      *template.Template
	static     fs.FS
	processKey processKey
	search     *ops.Search
}

// New parses the templates and draws the session key used without tokens.
func New(cfg Config) (*Server, error) {
	if cfg.Ops == nil || cfg.Records == nil || cfg.Index == nil {
		return nil, errors.New("console: Ops, Records and Index are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(assets, "assets/static")
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cfg.Regions))
	for i, r := range cfg.Regions {
		names[i] = r.Name
	}
	return &Server{
		cfg: cfg, pages: pages, static: static, processKey: newProcessKey(),
		search: &ops.Search{Index: cfg.Index, Requests: cfg.Records, Regions: names},
	}, nil
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// Handler returns the console's routes, all under /ui/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", staticFiles(s.static)))
	mux.HandleFunc("GET /ui/login", s.loginPage)
	mux.HandleFunc("POST /ui/login", s.loginSubmit)
	mux.Handle("POST /ui/logout", s.act(auth.Read, s.logout))

	mux.Handle("GET /ui/{$}", s.view(s.home))
	mux.Handle("GET /ui/regions/{region}", s.view(s.regionPage))
	mux.Handle("GET /ui/regions/{region}/groups", s.view(s.regionGroups))
	mux.Handle("GET /ui/regions/{region}/open.csv", s.view(s.regionCSV))
	mux.Handle("GET /ui/requests/{id}", s.view(s.requestPage))
	mux.Handle("GET /ui/requests/{id}/panel", s.view(s.requestPanel))
	mux.Handle("GET /ui/requests/{id}/mail", s.view(s.sentMail))
	mux.Handle("GET /ui/requests/{id}/reply/{ref}", s.view(s.replyText))
	mux.Handle("GET /ui/search", s.view(s.searchPage))
	mux.Handle("GET /ui/dlq", s.view(s.deadLetterPage))
	mux.Handle("GET /ui/events", s.view(s.events))

	mux.Handle("POST /ui/requests/{id}/{action}", s.act(auth.Ops, s.requestAction))
	mux.Handle("POST /ui/dlq/{seq}/replay", s.act(auth.Ops, s.replay))
	// Anything else under /ui/ with a method we do not serve: refused the
	// same way, never by a fall-through.
	mux.Handle("/ui/", s.view(func(w http.ResponseWriter, r *http.Request, _ session) {
		s.problem(w, r, session{}, http.StatusNotFound, "No such page.")
	}))
	// Cross-origin unsafe requests are refused before anything reads them
	// (Sec-Fetch-Site / Origin), on top of each action's CSRF token.
	return securityHeaders(http.NewCrossOriginProtection().Handler(mux))
}

// view wraps a page: it needs a session of read scope.
func (s *Server) view(h func(http.ResponseWriter, *http.Request, session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss, ok := s.authenticate(w, r)
		if !ok {
			s.unauthenticated(w, r)
			return
		}
		h(w, r, ss)
	})
}

// act wraps an action: a session of scope need and its CSRF token.
func (s *Server) act(need auth.Scope, h func(http.ResponseWriter, *http.Request, session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		ss, ok := s.authenticate(w, r)
		if !ok {
			s.unauthenticated(w, r)
			return
		}
		if !ss.checkCSRF(r) {
			s.problem(w, r, ss, http.StatusForbidden, "This form is missing its anti-forgery token (or it belongs to another session). Reload the page and try again.")
			return
		}
		if !ss.Scope.Allows(need) {
			s.problem(w, r, ss, http.StatusForbidden, "You are logged in with a read token: actions need an ops token.")
			return
		}
		h(w, r, ss)
	})
}

const maxForm = 16 << 10

// unauthenticated shows the login form, with 401, in place of the page.
func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Accept") == "text/event-stream" || r.Method != http.MethodGet {
		w.Header().Set("WWW-Authenticate", `Bearer realm="acctflow"`)
		http.Error(w, "log in first: /ui/login", http.StatusUnauthorized)
		return
	}
	s.render(w, r, http.StatusUnauthorized, "login", pageData{Title: "Log in", Next: safeNext(r.URL.RequestURI())})
}

// pageData is what every page template gets.
type pageData struct {
	Title   string
	Session session
	Regions []Region
	Region  string // the current region, if any
	Next    string
	Error   string
	Notice  string
	Cursor  string // the live feed's position when the page was read
	Live    bool
	Body    any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	d.Regions = s.cfg.Regions
	d.Live = s.cfg.Live != nil
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, d); err != nil {
		s.internal(w, r, fmt.Errorf("rendering %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// problem shows a message on an error page (a refusal, a stage guard).
func (s *Server) problem(w http.ResponseWriter, r *http.Request, ss session, status int, msg string) {
	s.render(w, r, status, "problem", pageData{Title: http.StatusText(status), Session: ss, Error: msg})
}

// internal answers a failure without its text: a correlation id, logged
// with the error.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	id := reqid.Of(r)
	s.cfg.Logger.Error("console request failed", "correlation_id", id, "path", r.URL.Path, "err", err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, "Something went wrong on our side. Correlation id: %s (the server log has the details).\n", id)
}

func (s *Server) regionKnown(name string) bool {
	return slices.ContainsFunc(s.cfg.Regions, func(r Region) bool { return r.Name == name })
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

func staticFiles(fsys fs.FS) http.Handler {
	fileServer := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		fileServer.ServeHTTP(w, r)
	})
}
