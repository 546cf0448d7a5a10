package devaws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// Config configures a sandbox started with Start.
type Config struct {
	// Addr is the listen address; "" means "127.0.0.1:0" (a free port). It
	// must be a loopback address: the credentials are public constants.
	Addr string
	// Dir, when set, keeps the creations in Dir/creations.jsonl and reloads
	// them on Start. "" keeps them in memory only.
	Dir string
	// CreateDelay is how long a creation stays IN_PROGRESS (0: it is done
	// at the first DescribeCreateAccountStatus). Real AWS takes minutes.
	CreateDelay time.Duration
	// Trust says which external id a role in a sandbox account requires;
	// nil: only roles added with AddRole can be assumed.
	Trust TrustFunc
	// Logger receives what the sandbox does; nil discards.
	Logger *slog.Logger
	// Now is the clock creations are timed by (tests); nil is time.Now.
	// Signatures and temporary credentials always use the real time.
	Now func() time.Time
}

const shutdownTimeout = 5 * time.Second

// Start loads the state kept in cfg.Dir, if any, and starts serving. It is
// listening when Start returns; it runs until Close. ctx bounds the start
// only.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CreateDelay < 0 {
		return nil, fmt.Errorf("starting AWS sandbox: CreateDelay %v is negative", cfg.CreateDelay)
	}
	if err := checkLoopback(cfg.Addr); err != nil {
		return nil, fmt.Errorf("starting AWS sandbox: %w", err)
	}
	s := newServer(cfg)
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("starting AWS sandbox: creating %s: %w", cfg.Dir, err)
		}
		j, err := openJournal(cfg.Dir, s)
		if err != nil {
			return nil, fmt.Errorf("starting AWS sandbox: %w", err)
		}
		s.journal = j
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		s.journal.close()
		return nil, fmt.Errorf("starting AWS sandbox: listening on %s: %w", cfg.Addr, err)
	}
	s.URL = "http://" + ln.Addr().String()
	// A client of its own, so that no proxy setting or shared transport
	// state of the process ever routes sandbox calls elsewhere.
	s.client = &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}}
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	s.serving = make(chan struct{})
	go func() {
		defer close(s.serving)
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("AWS sandbox stopped serving", "err", err)
		}
	}()
	return s, nil
}

// Close stops the server, waits for requests in flight (at most a few
// seconds) and the accept loop, and closes the state file.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		// Our own client's spare connections first: the server counts a
		// connection that never sent a request as busy for five seconds.
		s.client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			_ = s.httpSrv.Close()
		}
		<-s.serving
		s.mu.Lock()
		defer s.mu.Unlock()
		s.journal.close()
	})
}

// checkLoopback refuses listen addresses other machines could reach.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not loopback: the sandbox's credentials are public", addr)
	}
	return nil
}
