package api

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/acctflow/acctflow/api/auth"
)

// Exposure says who can reach an address: only this machine (loopback) or
// the network.
type Exposure struct {
	Addr     string
	Loopback bool
}

// CheckExposure is the rule that keeps the API from being open by accident:
// without tokens it listens on loopback only, unless the operator says
// something in front of acctflow authenticates (insecure). A host name is
// loopback when every address it resolves to is.
func CheckExposure(ctx context.Context, addr string, tokens auth.Tokens, insecure bool) (Exposure, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return Exposure{}, fmt.Errorf("--http-addr %q: %w", addr, err)
	}
	x := Exposure{Addr: addr, Loopback: isLoopbackHost(ctx, host)}
	if x.Loopback || tokens.Enabled() || insecure {
		return x, nil
	}
	return x, fmt.Errorf("--http-addr %s is reachable from the network and %w: anyone who can reach it could read "+
		"every request and approve them. Set ACCTFLOW_API_TOKENS (for example ACCTFLOW_API_TOKENS=ops:<long random secret>,read:<another>, "+
		"or a file named by ACCTFLOW_API_TOKENS_FILE), or listen on loopback (--http-addr 127.0.0.1:8080), "+
		"or, only if a proxy in front of acctflow authenticates every request, pass --insecure-no-auth", addr, auth.ErrNoTokens)
}

func isLoopbackHost(ctx context.Context, host string) bool {
	if host == "" {
		return false // every interface
	}
	if host == "localhost" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return false
		}
	}
	return true
}

// LogExposure says at start-up who can reach the listener and how they are
// authenticated; anything without authentication is a WARN.
func LogExposure(log *slog.Logger, ln net.Listener, tokens auth.Tokens, insecure bool) {
	addr := ln.Addr().String()
	switch {
	case tokens.Enabled():
		log.Info("HTTP API and ops console listening", "addr", addr, "auth", "bearer tokens", "tokens", tokens.Len())
	case insecure && !listenerLoopback(ln):
		log.Warn("HTTP API and ops console listening beyond loopback WITHOUT authentication (--insecure-no-auth): "+
			"whatever can reach this address can approve requests", "addr", addr)
	default:
		log.Warn("HTTP API and ops console listening on loopback only, without authentication: "+
			"set ACCTFLOW_API_TOKENS to serve them to the network", "addr", addr)
	}
}

func listenerLoopback(ln net.Listener) bool {
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		return a.IP.IsLoopback()
	}
	return false
}

// Limits of the HTTP server.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	// WriteTimeout bounds every answer but the console's live stream,
	// which lifts it for itself (http.ResponseController).
	WriteTimeout   = 60 * time.Second
	IdleTimeout    = 2 * time.Minute
	MaxHeaderBytes = 32 << 10
)

// NewHTTPServer wraps a handler in a server with timeouts and header limits.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
