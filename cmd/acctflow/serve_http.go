package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/api"
	"github.com/acctflow/acctflow/api/auth"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/console"
	"github.com/acctflow/acctflow/handlers/routing"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
)

// webSettings is the HTTP part of serve's configuration, checked before
// anything starts.
type webSettings struct {
	addr     string
	tokens   auth.Tokens
	insecure bool
	exposure api.Exposure
}

func httpSettings(cmd *cobra.Command) (webSettings, error) {
	f := cmd.Flags()
	var w webSettings
	w.addr, _ = f.GetString("http-addr")
	w.insecure, _ = f.GetBool("insecure-no-auth")
	if w.addr == "" {
		return w, nil
	}
	raw, err := secret("ACCTFLOW_API_TOKENS")
	if err != nil {
		return w, err
	}
	if w.tokens, err = auth.Parse(raw); err != nil {
		return w, err
	}
	w.exposure, err = api.CheckExposure(cmd.Context(), w.addr, w.tokens, w.insecure)
	return w, err
}

// startHTTP serves the API and the ops console until the server is shut
// down; nil when --http-addr is empty.
func startHTTP(ctx context.Context, w webSettings, d *deps, store *lifecycle.Store, reg *prometheus.Registry, wg *sync.WaitGroup, fail func(error)) (*http.Server, error) {
	if w.addr == "" {
		return nil, nil
	}
	conn, log := d.conn, d.log
	o := &ops.Ops{JS: conn.JS, Requests: store, Source: "acctflow/api", Now: time.Now}
	ui, err := startConsole(ctx, w, d, store, wg, fail)
	if err != nil {
		return nil, err
	}
	a := &api.Server{
		Ops:        o,
		Console:    ui,
		Tokens:     w.tokens,
		LocalOnly:  !w.tokens.Enabled() && !w.insecure,
		Gatherer:   reg,
		Logger:     log,
		Health:     d.health(),
		Components: d.components,
		DLQ:        &ops.DLQ{JS: conn.JS},
		Ready: func(ctx context.Context) error {
			if !conn.NC.IsConnected() {
				return errors.New("NATS not connected")
			}
			return broker.Ready(ctx, conn.JS)
		},
	}
	ln, err := net.Listen("tcp", w.addr)
	if err != nil {
		return nil, fmt.Errorf("HTTP API on %s: %w", w.addr, err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() && !w.tokens.Enabled() && !w.insecure {
		ln.Close()
		return nil, fmt.Errorf("--http-addr %s listens on %s, beyond loopback, and %w", w.addr, a, auth.ErrNoTokens)
	}
	srv := api.NewHTTPServer(a.Handler(), log)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fail(fmt.Errorf("HTTP API: %w", err))
		}
	}()
	api.LogExposure(log, ln, w.tokens, w.insecure)
	return srv, nil
}

// startProbes serves /healthz, /readyz and /metrics on --metrics-addr
// until the server is shut down; nil when it is empty. A handler process
// (--http-addr "") has no API, which would need the api user's NATS
// permissions, but still wants probing and scraping.
func startProbes(d *deps, reg *prometheus.Registry, wg *sync.WaitGroup, fail func(error)) (*http.Server, error) {
	addr := d.flag("metrics-addr")
	if addr == "" {
		return nil, nil
	}
	conn := d.conn
	a := &api.Server{
		Gatherer: reg, Logger: d.log, Health: d.health(), Components: d.components,
		Ready: func(ctx context.Context) error {
			if !conn.NC.IsConnected() {
				return errors.New("NATS not connected")
			}
			return broker.Ready(ctx, conn.JS)
		},
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	srv := api.NewHTTPServer(a.ProbeHandler(), d.log)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fail(fmt.Errorf("metrics: %w", err))
		}
	}()
	d.log.Info("probes and metrics listening", "addr", ln.Addr().String(), "paths", "/healthz /readyz /metrics")
	return srv, nil
}

// startConsole builds the ops console and runs its live feed until ctx ends.
func startConsole(ctx context.Context, w webSettings, d *deps, store *lifecycle.Store, wg *sync.WaitGroup, fail func(error)) (http.Handler, error) {
	table, err := routing.LoadTable(d.flag("regions"))
	if err != nil {
		return nil, err
	}
	var regions []console.Region
	for _, name := range table.Regions() {
		r, _ := table.Region(name)
		regions = append(regions, console.Region{Name: name, OpsTeam: r.OpsTeam})
	}
	open, err := d.kv(ctx, broker.BucketOpen)
	if err != nil {
		return nil, err
	}
	raw, err := d.objects(ctx, broker.ObjectMailRaw)
	if err != nil {
		return nil, err
	}
	hub := console.NewHub(d.conn.JS, store, d.projection(), d.log)
	cfg := console.Config{
		Ops:         &ops.Ops{JS: d.conn.JS, Requests: store, Source: "acctflow/console", Now: time.Now},
		Records:     store,
		Index:       lifecycle.NewIndex(open),
		Regions:     regions,
		Tokens:      w.tokens,
		Live:        hub,
		DeadLetters: console.OpsDeadLetters{DLQ: &ops.DLQ{JS: d.conn.JS}},
		Replies:     console.RawReplies{JS: d.conn.JS, Objects: raw},
		Logger:      d.log.With("component", "console"),
	}
	if d.mailer != nil && d.mailer.Sandbox != nil {
		cfg.Mail = console.SandboxMail{Box: d.mailer.Sandbox}
	}
	ui, err := console.New(cfg)
	if err != nil {
		return nil, err
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := hub.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			fail(err)
		}
	}()
	return ui.Handler(), nil
}
