package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/circuit"
	"github.com/acctflow/acctflow/deploy"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/handlers/routing"
	"github.com/acctflow/acctflow/health"
	"github.com/acctflow/acctflow/lifecycle"
)

// deps is what handler factories share: the connection, the stores, and
// background jobs (mail readers, sandboxes) to run beside the router.
type deps struct {
	cmd        *cobra.Command
	log        *slog.Logger
	conn       *broker.Conn
	topo       broker.Topology // provisions, or with an external broker only finds, consumers
	store      *lifecycle.Store
	reg        *prometheus.Registry
	components *health.Registry // what /readyz and /healthz report: NATS, IMAP readers, circuits
	circuits   *circuit.Metrics // shared by every adapter's circuit (mailflags.go)
	background []func(ctx context.Context) error
	closers    []func()
	mailer     *mail
	progress   *broker.Progress // see projection
	awsw       awsWiring        // see wire_awssandbox.go
	// external: the broker is not the embedded one, so other processes may
	// share the work and every shared secret must be configured.
	external bool
}

func (d *deps) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// projection follows the projection's consumer for every handler that
// waits for it, so that they share one poll.
func (d *deps) projection() *broker.Progress {
	if d.progress == nil {
		d.progress = broker.NewProgress(d.conn.JS, projection.Name)
	}
	return d.progress
}

func (d *deps) flag(name string) string {
	v, _ := d.cmd.Flags().GetString(name)
	return v
}

// factory builds one handler from the shared dependencies.
type factory func(ctx context.Context, d *deps) (broker.Handler, error)

// handlerNames is the order handlers start in, as declared (package
// deploy); "all" runs every one.
var handlerNames, handlerFactories = deploy.Names(), registry()

// registry gathers the factories of each area, by handler name; a test
// checks that every declared handler has one and every one is declared.
func registry() map[string]factory {
	all := map[string]factory{}
	for _, area := range []func() map[string]factory{
		coreHandlers, mailHandlers, repliesHandlers, ackHandlers, ticketHandlers, provisioningHandlers, reminderHandlers,
	} {
		for k, v := range area() {
			all[k] = v
		}
	}
	return all
}

func coreHandlers() map[string]factory {
	return map[string]factory{
		routing.Name: func(_ context.Context, d *deps) (broker.Handler, error) {
			table, err := routing.LoadTable(d.flag("regions"))
			if err != nil {
				return broker.Handler{}, err
			}
			h := &routing.Handler{JS: d.conn.JS, Table: table, Requests: d.store, Logger: d.log, Now: time.Now}
			return h.Broker(), nil
		},
		projection.Name: func(ctx context.Context, d *deps) (broker.Handler, error) {
			kv, err := d.kv(ctx, broker.BucketOpen)
			if err != nil {
				return broker.Handler{}, err
			}
			return (&projection.Handler{Store: d.store, Index: d.store.Index(kv), Logger: d.log}).Broker(), nil
		},
	}
}
