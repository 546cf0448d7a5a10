package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/health"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/memory"
)

func newServe() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the pipeline: embedded NATS (unless --nats-url), handlers, HTTP API, dev mail sandbox",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := logger(cmd)
			if err != nil {
				return err
			}
			return serve(cmd, log)
		},
	}
	f := cmd.Flags()
	f.String("data-dir", "./data", "where the embedded NATS server keeps its store (and the generated reply key)")
	f.String("nats-listen", "127.0.0.1:4222", "client address of the embedded NATS server (keep it on loopback)")
	f.String("nats-sync", "always", `embedded JetStream fsync: "always" (every write) or an interval such as 2m`)
	f.Int("replicas", 1, "stream, KV and consumer replicas of the embedded server (with --nats-url, acctflow setup --replicas counts)")
	addRetentionFlag(cmd)
	f.String("handlers", "all", "comma-separated handlers to run ("+strings.Join(handlerNames, ",")+"), all, or none for an API-only process")
	f.String("http-addr", "127.0.0.1:8080", "HTTP API and ops console address (empty to disable); beyond loopback it needs ACCTFLOW_API_TOKENS")
	f.String("metrics-addr", "", "address serving only /healthz, /readyz and /metrics (no API, no token; component states without their reasons): for handler processes run with --http-addr \"\"")
	f.Bool("insecure-no-auth", false, "serve the HTTP API and console beyond loopback without tokens (only behind a proxy that authenticates)")
	f.Duration("release-memory-after", 30*time.Second, "give a burst's free heap back to the OS once serve has been quiet this long (0: leave it to the Go runtime)")
	f.String("regions", "", "JSON file overriding the country → region table, ops teams and support mailboxes")
	addMailFlags(cmd)
	addRepliesFlags(cmd)
	addTicketFlags(cmd)
	addProvisioningFlags(cmd)
	addAWSFlags(cmd)
	addReminderFlags(cmd)
	addNATSFlags(cmd, "", "external NATS server or cluster URL(s); empty runs the embedded server")
	return cmd
}

// serve runs until the command's context ends (SIGINT/SIGTERM), then stops
// fetching, lets in-flight messages finish and drains.
func serve(cmd *cobra.Command, log *slog.Logger) error {
	ctx := cmd.Context()
	f := cmd.Flags()
	get := func(n string) string { v, _ := f.GetString(n); return v }

	selected, err := selectHandlers(get("handlers"))
	if err != nil {
		return err
	}
	// Refused before anything starts: an API open to the network by accident.
	web, err := httpSettings(cmd)
	if err != nil {
		return err
	}
	cfg, err := connConfig(cmd, "acctflow")
	if err != nil {
		return err
	}
	stopTraces, err := startTraces(ctx, log) // traces.go: off without OTEL_EXPORTER_OTLP_ENDPOINT
	if err != nil {
		return err
	}
	defer stopTraces()
	external := cfg.URL != ""
	for _, flag := range []string{"nats-sync", "nats-listen"} {
		if external && cmd.Flags().Changed(flag) {
			log.Warn("--"+flag+" sets up the embedded NATS server: with --nats-url it is ignored (the server's own configuration decides)", "flag", "--"+flag)
		}
	}
	if !external {
		unlock, err := lockStore(get("data-dir"))
		if err != nil {
			return err
		}
		defer unlock()
		ns, err := startEmbedded(get("data-dir"), get("nats-listen"), get("nats-sync"), log)
		if err != nil {
			return err
		}
		defer func() {
			ns.Shutdown()
			ns.WaitForShutdown()
		}()
		cfg.URL = ns.ClientURL()
		log.Info("embedded NATS with JetStream started", "url", cfg.URL, "store", filepath.Join(get("data-dir"), "jetstream"), "sync", get("nats-sync"))
	}
	cfg.Logger = log
	cfg.Wait = 30 * time.Second
	conn, err := broker.Connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	retention, err := retentionFlag(cmd)
	if err != nil {
		return err
	}
	topo, err := ensureTopology(ctx, cmd, conn, selected, web.addr != "", external, retention, log) // setup.go
	if err != nil {
		return err
	}
	kv, err := conn.JS.KeyValue(ctx, broker.BucketRequests)
	if err != nil {
		return fmt.Errorf("opening KV %s: %w", broker.BucketRequests, err)
	}
	store := lifecycle.NewStore(kv).Expiring(conn.JS, retention)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	deps := &deps{cmd: cmd, log: log, conn: conn, topo: topo, store: store, reg: reg, external: external, components: &health.Registry{}}
	defer deps.close()
	monitor := broker.NewMonitor(conn, 0, log) // consumer lag and stream checks, cached for /metrics and /readyz
	reg.MustRegister(monitor)
	deps.components.Add(monitor)
	deps.background = append(deps.background, monitor.Run)
	if quiet, _ := cmd.Flags().GetDuration("release-memory-after"); quiet > 0 {
		// A burst's heap goes back to the OS once serve is quiet again.
		released := memory.NewReleased(reg)
		deps.background = append(deps.background, func(ctx context.Context) error {
			memory.Release(ctx, memory.Config{Poll: quiet / 3, QuietPolls: 3, Logger: log, Released: released})
			return nil
		})
	}
	var handlers []broker.Handler
	for _, name := range selected {
		h, err := handlerFactories[name](ctx, deps)
		if err != nil {
			return fmt.Errorf("handler %s: %w", name, err)
		}
		handlers = append(handlers, h)
	}

	var wg sync.WaitGroup
	// serve stops on the first failure of a background part; what fails
	// after it (while stopping) is only logged, never waited on.
	errs := make(chan error, 1)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
			log.Warn("failed while stopping", "err", err)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, bg := range deps.background {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := bg(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				fail(err)
			}
		}()
	}

	httpSrv, err := startHTTP(runCtx, web, deps, store, reg, &wg, fail)
	if err != nil {
		return err
	}
	probes, err := startProbes(deps, reg, &wg, fail)
	if err != nil {
		return err
	}

	routerDone := make(chan error, 1)
	go func() {
		routerDone <- broker.Run(runCtx, conn, broker.RouterConfig{
			Topology: topo, Logger: log, Metrics: broker.NewMetrics(reg), Monitor: monitor,
			Started: func() { log.Info("handlers running", "handlers", strings.Join(selected, ",")) },
		}, handlers)
	}()
	select {
	case <-ctx.Done():
		log.Info("shutting down: finishing in-flight messages")
	case err = <-errs:
		log.Error("stopping", "err", err)
	case err = <-routerDone:
		routerDone <- err
		if err != nil {
			log.Error("handlers stopped", "err", err)
		}
	}
	cancel()
	// Stopped while the handlers were still starting: what they did not
	// finish is no failure.
	if rerr := <-routerDone; rerr != nil && err == nil && !(ctx.Err() != nil && errors.Is(rerr, context.Canceled)) {
		err = rerr
	}
	for _, srv := range []*http.Server{httpSrv, probes} {
		if srv != nil {
			sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_ = srv.Shutdown(sctx)
			scancel()
		}
	}
	wg.Wait()
	return err
}

func startEmbedded(dataDir, listen, sync string, log *slog.Logger) (*server.Server, error) {
	var interval time.Duration
	if sync != "always" {
		d, err := time.ParseDuration(sync)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf(`--nats-sync %q: want "always" or a positive duration`, sync)
		}
		interval = d
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("--nats-listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		// Anyone reaching it could publish and read every event.
		return nil, fmt.Errorf("--nats-listen %s: the embedded NATS server has no authentication, so it listens on loopback only; "+
			"for a broker other hosts reach, run NATS with deploy/nats.conf and point every process at it with --nats-url", listen)
	}
	return broker.StartEmbedded(broker.EmbeddedConfig{
		Listen: listen, DataDir: dataDir, SyncInterval: interval, Logger: log,
	})
}

func selectHandlers(list string) ([]string, error) {
	switch list {
	case "", "all":
		return handlerNames, nil
	case "none": // an API-only process
		return nil, nil
	}
	var out []string
	for _, n := range splitList(list) {
		if _, ok := handlerFactories[n]; !ok {
			return nil, fmt.Errorf("--handlers: unknown handler %q (known: %s)", n, strings.Join(handlerNames, ", "))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
