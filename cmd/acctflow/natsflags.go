package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/secrets"
)

// addNATSFlags adds how to reach NATS; passwords come only from
// ACCTFLOW_NATS_PASSWORD (or ACCTFLOW_NATS_PASSWORD_FILE).
func addNATSFlags(cmd *cobra.Command, defaultURL, usage string) {
	f := cmd.Flags()
	f.String("nats-url", defaultURL, usage)
	f.String("nats-user", "", "NATS user name (password from ACCTFLOW_NATS_PASSWORD)")
	f.String("nats-creds", "", "NATS credentials file (JWT + nkey seed)")
	f.String("nats-nkey", "", "NATS nkey seed file")
	f.String("nats-ca", "", "CA certificate to verify the NATS server's TLS certificate")
	f.String("nats-cert", "", "client TLS certificate for NATS")
	f.String("nats-key", "", "client TLS key for NATS")
	f.String("nats-inbox-prefix", "", "subject prefix of this process's reply inboxes, which its NATS user must be allowed to subscribe to (default _INBOX_<user> for a NATS user, else _INBOX)")
}

func connConfig(cmd *cobra.Command, name string) (broker.ConnConfig, error) {
	f := cmd.Flags()
	get := func(n string) string { v, _ := f.GetString(n); return v }
	pw, err := secret("ACCTFLOW_NATS_PASSWORD")
	if err != nil {
		return broker.ConnConfig{}, err
	}
	return broker.ConnConfig{
		URL: get("nats-url"), Name: name, User: get("nats-user"), Password: pw,
		CredsFile: get("nats-creds"), NKeyFile: get("nats-nkey"),
		CAFile: get("nats-ca"), CertFile: get("nats-cert"), KeyFile: get("nats-key"),
		InboxPrefix: get("nats-inbox-prefix"),
	}, nil
}

// client connects a client command to NATS and builds its Ops.
func client(cmd *cobra.Command) (*ops.Ops, *broker.Conn, error) {
	cfg, err := connConfig(cmd, "acctflow-cli")
	if err != nil {
		return nil, nil, err
	}
	cfg.Wait = 2 * time.Second
	ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
	defer cancel()
	conn, err := broker.Connect(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (is `acctflow serve` running? set --nats-url or ACCTFLOW_NATS_URL)", err)
	}
	kv, err := conn.JS.KeyValue(ctx, broker.BucketRequests)
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("opening KV %s on %s: %w (has `acctflow serve` provisioned it?)", broker.BucketRequests, secrets.RedactURLs(cfg.URL), err)
	}
	return &ops.Ops{JS: conn.JS, Requests: lifecycle.NewStore(kv), Source: "acctflow/cli", Now: time.Now}, conn, nil
}
