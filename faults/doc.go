// Package faults holds the fault suite: it drives the real acctflow binary as
// separate processes through the whole flow — routed, confirmed, answered
// by SMTP, details read over IMAP, approved, created through the
// Organizations-protocol fake, followed up, Role ARN validated, support
// change ticketed in the Freshdesk fake — while it injects faults (SIGKILL
// and restart on the same data dir, replicas, a NATS cluster node down,
// mail, help desk and AWS outages), then checks from the outside that no
// request was lost and no effect happened twice, and prints a table.
//
// The short profile runs with `go test`; the long one with
// ACCTFLOW_FAULTS=long (ACCTFLOW_FAULTS_N requests per profile, default
// 1000; ACCTFLOW_FAULTS_KILLS kills, default 12). ACCTFLOW_FAULTS_DIR keeps
// each profile's logs and stores there.
package faults
