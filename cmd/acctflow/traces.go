package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/acctflow/acctflow/telemetry"
)

// startTraces installs the OTLP/HTTP trace exporter when the standard OTel
// environment names an endpoint (package telemetry). The returned stop
// flushes what is buffered: serve defers it first, so it runs last, after
// the handlers and the HTTP server have finished.
func startTraces(ctx context.Context, log *slog.Logger) (stop func(), err error) {
	shutdown, err := telemetry.Setup(ctx, log)
	if err != nil {
		return nil, err
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			log.Warn("traces not all exported", "err", err)
		}
	}, nil
}
