package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/deploy"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/provisioning"
	"github.com/acctflow/acctflow/retry"
)

// newSetup provisions the topology once, as the admin user: handler
// processes started with --nats-url only check that it is there.
func newSetup() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Create or update the streams, consumers, KV buckets and object store of every handler (run as the NATS admin user)",
		Long: "Create or update the streams, consumers, KV buckets and object store every handler declares, on the NATS " +
			"server or cluster of --nats-url, connected as a user that may (admin in deploy/nats.conf). Idempotent. " +
			"serve --nats-url then only checks that what its handlers need exists.\n\n" +
			"--print-nats-conf prints deploy/nats.conf as the handlers' declarations make it, and connects to nothing.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if p, _ := cmd.Flags().GetBool("print-nats-conf"); p {
				_, err := cmd.OutOrStdout().Write(deploy.NATSConf())
				return err
			}
			log, err := logger(cmd)
			if err != nil {
				return err
			}
			cfg, err := connConfig(cmd, "acctflow-setup")
			if err != nil {
				return err
			}
			cfg.Logger, cfg.Wait = log, 30*time.Second
			conn, err := broker.Connect(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer conn.Close()
			replicas, _ := cmd.Flags().GetInt("replicas")
			retention, err := retentionFlag(cmd)
			if err != nil {
				return err
			}
			maxConc, _ := cmd.Flags().GetInt("aws-max-concurrent")
			// Run again without them, setup keeps what the last run chose:
			// its defaults would quietly drop a cluster's replicas.
			var was provisionedSettings
			if err := unlessRefused(cmd.Context(), conn, "reading the topology provisioned", setupHint, func(ctx context.Context) error {
				was = provisioned(ctx, conn.JS)
				return nil
			}); err != nil {
				return err
			}
			f := cmd.Flags()
			keep := func(flag string, set bool, now, then any) {
				switch {
				case !set:
				case !f.Changed(flag):
					log.Info("keeping the value already provisioned (give the flag to change it)", "flag", "--"+flag, "value", then)
				case now != then:
					log.Warn("changing a value already provisioned", "flag", "--"+flag, "from", then, "to", now)
				}
			}
			keep("replicas", was.replicas > 0, replicas, was.replicas)
			keep("retention", was.retention != nil, retention, derefDuration(was.retention))
			keep("aws-max-concurrent", was.maxConc > 0, maxConc, was.maxConc)
			if !f.Changed("replicas") && was.replicas > 0 {
				replicas = was.replicas
			}
			if !f.Changed("retention") && was.retention != nil {
				retention = *was.retention
			}
			if !f.Changed("aws-max-concurrent") && was.maxConc > 0 {
				maxConc = was.maxConc
			}
			decls := withMaxConcurrent(deploy.Handlers, maxConc)
			if err := provision(cmd.Context(), conn, broker.Topology{Replicas: replicas, Retention: retention}, decls, log); err != nil {
				return err
			}
			log.Info("topology provisioned", "replicas", replicas, "handlers", len(deploy.Handlers))
			return nil
		},
	}
	f := cmd.Flags()
	f.Int("replicas", 1, "stream, KV and consumer replicas (3 on a NATS cluster)")
	addRetentionFlag(cmd)
	f.Int("aws-max-concurrent", provisioning.DefaultMaxConcurrent, "account creations in progress at once, across every process (the provisioning driver's consumer)")
	f.Bool("print-nats-conf", false, "print the NATS users and permissions (deploy/nats.conf) and exit")
	addNATSFlags(cmd, "nats://127.0.0.1:4222", "NATS server or cluster URL(s)")
	return cmd
}

// provisionedSettings are setup's settings as a previous run left them
// (zero, nil: not provisioned yet).
type provisionedSettings struct {
	replicas  int
	retention *time.Duration
	maxConc   int
}

// provisioned reads what a previous setup chose: the events stream's
// replicas, the raw mail store's TTL, the provisioning driver's in-flight
// limit. What cannot be read counts as not provisioned.
func provisioned(ctx context.Context, js jetstream.JetStream) provisionedSettings {
	var p provisionedSettings
	if s, err := js.Stream(ctx, events.Stream); err == nil {
		p.replicas = s.CachedInfo().Config.Replicas
	}
	if o, err := js.ObjectStore(ctx, broker.ObjectMailRaw); err == nil {
		if st, err := o.Status(ctx); err == nil {
			ttl := st.TTL()
			p.retention = &ttl
		}
	}
	if c, err := js.Consumer(ctx, broker.StreamProvisioning, provisioning.DriverConsumer); err == nil {
		p.maxConc = c.CachedInfo().Config.MaxAckPending
	}
	return p
}

func derefDuration(d *time.Duration) any {
	if d == nil {
		return nil
	}
	return *d
}

// withMaxConcurrent sets how many account creations the provisioning
// driver's consumer lets be under way at once: a setting of the consumer
// every replica shares, so setup's (serve's own with the embedded server).
func withMaxConcurrent(decls []broker.Declaration, n int) []broker.Declaration {
	out := slices.Clone(decls)
	for i, d := range out {
		if d.Name != provisioning.Name {
			continue
		}
		d.Consumers = slices.Clone(d.Consumers)
		for j := range d.Consumers {
			if d.Consumers[j].Name == provisioning.DriverConsumer {
				d.Consumers[j].MaxInFlight = n
			}
		}
		out[i] = d
	}
	return out
}

const setupHint = "setup needs a NATS user that may create streams and consumers: admin in deploy/nats.conf"

// provision creates or updates what decls need. A cluster still electing its
// leader answers with timeouts: keep trying for a while; a user that may
// not is an error at once.
func provision(ctx context.Context, conn *broker.Conn, topo broker.Topology, decls []broker.Declaration, log *slog.Logger) error {
	const what = "provisioning streams, buckets and consumers"
	return untilReady(ctx, log, what, func(ctx context.Context) error {
		return unlessRefused(ctx, conn, what, setupHint, func(ctx context.Context) error {
			return topo.Provision(ctx, conn.JS, decls)
		})
	})
}

// verify checks that what decls need was provisioned: anything missing, or
// a permission the NATS user lacks, is an error at once, naming it; a
// JetStream that does not answer yet is tried again for a while.
func verify(ctx context.Context, conn *broker.Conn, decls []broker.Declaration, log *slog.Logger) error {
	const what = "checking streams, buckets and consumers"
	return untilReady(ctx, log, what, func(ctx context.Context) error {
		err := unlessRefused(ctx, conn, what, "is the process connected as the right NATS user, with --http-addr \"\" unless it serves the API?", func(ctx context.Context) error {
			return broker.Check(ctx, conn.JS, decls)
		})
		if _, missing := errors.AsType[*broker.MissingError](err); missing {
			return retry.Permanent(err)
		}
		return err
	})
}

// unlessRefused runs f, and stops it at once when the server refuses one of
// its requests: a refused request is never answered, and would only time
// out. The refusal is a permanent error, with hint.
func unlessRefused(ctx context.Context, conn *broker.Conn, what, hint string, f func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			if last := conn.NC.LastError(); errors.Is(last, nats.ErrPermissionViolation) {
				cancel()
				<-done
				return retry.Permanent(fmt.Errorf("%s: %w (%s)", what, last, hint))
			}
		}
	}
}

func untilReady(ctx context.Context, log *slog.Logger, what string, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return retry.Do(ctx, retry.Policy{Initial: 250 * time.Millisecond, Max: 5 * time.Second}, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		err := f(ctx)
		if c, _ := retry.Classify(err); err != nil && c != retry.ClassPermanent {
			log.Warn(what+", retrying", "err", err)
		}
		return err
	})
}

// ensureTopology readies what the selected handlers (and the API, when
// served) need. With the embedded server serve provisions it itself; with
// --nats-url it was provisioned by `acctflow setup` and serve only checks,
// refusing to start when anything is missing: a handler's NATS user may
// create nothing.
func ensureTopology(ctx context.Context, cmd *cobra.Command, conn *broker.Conn, selected []string, api, external bool, retention time.Duration, log *slog.Logger) (broker.Topology, error) {
	replicas, _ := cmd.Flags().GetInt("replicas")
	topo := broker.Topology{Replicas: replicas, Verify: external, Retention: retention}
	var decls []broker.Declaration
	for _, n := range selected {
		d, _ := deploy.Handler(n)
		decls = append(decls, d)
	}
	if !external {
		return topo, provision(ctx, conn, topo, decls, log)
	}
	if api {
		decls = append(decls, deploy.API)
	}
	return topo, verify(ctx, conn, decls, log)
}

// addRetentionFlag: setup sets raw mail's TTL with it, serve the TTL of an
// ended request's record (and, on its embedded server, raw mail's too).
func addRetentionFlag(cmd *cobra.Command) {
	cmd.Flags().Duration("retention", broker.DefaultRetention, "how long a request's record is kept after it ended, and a raw inbound email after it arrived (0: forever)")
}

func retentionFlag(cmd *cobra.Command) (time.Duration, error) {
	retention, _ := cmd.Flags().GetDuration("retention")
	if retention < 0 {
		return 0, fmt.Errorf("--retention %s: want 0 (forever) or a positive duration", retention)
	}
	return retention, nil
}
