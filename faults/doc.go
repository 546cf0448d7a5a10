// Package faults holds the fault suite: it drives the real acctflow binary as
// a separate process, kills it with SIGKILL at random moments, restarts it on
// the same data dir, and checks from the outside that no request was lost and
// no effect happened twice. The short profile runs with `go test`; the long
// one with ACCTFLOW_FAULTS=long.
package faults
