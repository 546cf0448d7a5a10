package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

func freeAddr(t testing.TB) string { return brokertest.FreeAddr(t) }

// instance is one `acctflow serve` running in-process.
type instance struct {
	natsURL, httpURL string
	stop             func() error
}

func startServe(t testing.TB, dataDir string, extra ...string) instance {
	t.Helper()
	natsAddr, httpAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	root := newRoot()
	root.SetArgs(append([]string{"serve", "--data-dir", dataDir, "--nats-listen", natsAddr, "--http-addr", httpAddr,
		"--nats-sync", "1m", "--log-level", "warn"}, extra...))
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	inst := instance{natsURL: "nats://" + natsAddr, httpURL: "http://" + httpAddr}
	waitReady(t, inst.httpURL, done, 20*time.Second)
	stopped := false
	inst.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("serve did not stop")
		}
	}
	t.Cleanup(func() { _ = inst.stop() })
	return inst
}

// waitReady polls serve's /readyz until it answers 200; a serve that exits
// meanwhile (its error on exited) fails the test at once.
func waitReady(tb testing.TB, httpURL string, exited <-chan error, total time.Duration) {
	tb.Helper()
	brokertest.CheckFor(tb, total, 50*time.Millisecond, func() error {
		select {
		case err := <-exited:
			tb.Fatalf("serve exited: %v", err)
		default:
		}
		resp, err := http.Get(httpURL + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d", resp.StatusCode)
		}
		return nil
	})
}

// run runs a client command in-process and returns its stdout.
func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetIn(strings.NewReader(stdin))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func show(t *testing.T, natsURL, id string) lifecycle.Record {
	t.Helper()
	out, err := run(t, "", "request", "show", id, "--json", "--nats-url", natsURL)
	if err != nil {
		t.Fatalf("request show %s: %v", id, err)
	}
	var rec lifecycle.Record
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("request show output: %v\n%s", err, out)
	}
	return rec
}

func waitStage(t *testing.T, natsURL, id string, stage lifecycle.Stage) lifecycle.Record {
	t.Helper()
	var rec lifecycle.Record
	brokertest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		out, err := run(t, "", "request", "show", id, "--json", "--nats-url", natsURL)
		if err != nil {
			return err
		}
		rec = lifecycle.Record{}
		if err := json.Unmarshal([]byte(out), &rec); err != nil {
			return err
		}
		if rec.Stage != stage {
			return fmt.Errorf("%s at stage %q, want %q", id, rec.Stage, stage)
		}
		return nil
	})
	return rec
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../../examples/events/" + name)
	if err != nil {
		t.Fatalf("example fixture: %v", err)
	}
	return data
}

func TestServeRoutesFromCLIHTTPAndNATS(t *testing.T) {
	dir := t.TempDir()
	inst := startServe(t, dir, "--handlers", "routing,projection")

	// CLI, from a file and from stdin.
	out, err := run(t, "", "request", "create", "--file", "../../examples/events/account-requested-us.json", "--nats-url", inst.natsURL)
	if err != nil || strings.TrimSpace(out) != "REQ-1001" {
		t.Fatalf("request create: %q %v", out, err)
	}
	out, err = run(t, `{"reseller":{"id":"R-9","name":"Contoso","country":"ca","primary_contact":{"name":"Lee","email":"Lee@Contoso.example"}},
		"customer":{"id":"C-9","name":"Maple"},"pricebook":{"present":true,"invoice_currency":"cad","provider_enabled_in_portal":true}}`,
		"request", "create", "--file", "-", "--nats-url", inst.natsURL)
	generated := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(generated, "REQ-") || len(generated) != 14 {
		t.Fatalf("request create from stdin: %q %v", out, err)
	}
	if _, err := run(t, "", "request", "create", "--file", "../../examples/events/account-requested-invalid.json", "--nats-url", inst.natsURL); err == nil ||
		!strings.Contains(err.Error(), "/reseller/country") {
		t.Fatalf("invalid request via CLI: %v", err)
	}

	// HTTP.
	resp, err := http.Post(inst.httpURL+"/v1/requests", "application/json", bytes.NewReader(fixture(t, "account-requested-de.json")))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(body), "REQ-2R6VB3XH8M") {
		t.Fatalf("POST /v1/requests: %d %s", resp.StatusCode, body)
	}

	// Plain NATS, as `nats pub acct.requested` does: no headers at all.
	nc, err := nats.Connect(inst.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, payload := range [][]byte{fixture(t, "account-requested-provider-disabled.json"), []byte(`{oops`), fixture(t, "account-requested-ca.json")} {
		if err := nc.Publish("acct.requested", payload); err != nil {
			t.Fatal(err)
		}
	}
	// Publishing the same request twice routes it once.
	if _, err := run(t, "", "request", "create", "--file", "../../examples/events/account-requested-us.json", "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}

	waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageRouted)
	rec := waitStage(t, inst.natsURL, generated, lifecycle.StageRouted)
	if rec.Region != "ca" || rec.Request.Reseller.PrimaryContact.Email != "lee@contoso.example" {
		t.Fatalf("normalised request: %+v", rec.Request)
	}
	if rec := waitStage(t, inst.natsURL, "REQ-2R6VB3XH8M", lifecycle.StageRouted); rec.ReplyChannel != "support_mailbox" {
		t.Fatalf("DE reply channel %q", rec.ReplyChannel)
	}
	waitStage(t, inst.natsURL, "REQ-5QJ2M8YB0A", lifecycle.StageRouted)
	if rec := waitStage(t, inst.natsURL, "REQ-1010", lifecycle.StageRejected); rec.Rejection.Reasons[0] != "provider_not_enabled" {
		t.Fatalf("rejection %+v", rec.Rejection)
	}
	out, err = run(t, "", "watch", "--region", "us", "--all", "--json", "--count", "2", "--timeout", "2s", "--nats-url", inst.natsURL)
	if err == nil {
		t.Fatalf("watch saw two US routings (want one, duplicate absorbed): %s", out)
	}
	if !strings.Contains(out, `"REQ-1001"`) {
		t.Fatalf("watch output %q", out)
	}

	// Unknown request: a clear error.
	if _, err := run(t, "", "request", "show", "REQ-NOPE", "--nats-url", inst.natsURL); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("show unknown: %v", err)
	}
	if err := inst.stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	// Restart on the same data dir: state is kept, and the duplicate
	// arriving "hours later" is still absorbed.
	again := startServe(t, dir, "--handlers", "routing,projection")
	if rec := show(t, again.natsURL, "REQ-1001"); rec.Stage != lifecycle.StageRouted {
		t.Fatalf("after restart: %+v", rec)
	}
	if _, err := run(t, "", "request", "create", "--file", "-", "--nats-url", again.natsURL); err == nil {
		t.Fatal("empty stdin accepted")
	}
	if _, err := run(t, "", "request", "create", "--file", "../../examples/events/account-requested-us.json", "--nats-url", again.natsURL); err != nil {
		t.Fatal(err)
	}
	out, _ = run(t, "", "watch", "--region", "us", "--all", "--json", "--count", "2", "--timeout", "2s", "--nats-url", again.natsURL)
	if n := strings.Count(out, "\n"); n != 1 {
		t.Fatalf("REQ-1001 routed %d times across restarts:\n%s", n, out)
	}
}

func TestClientErrors(t *testing.T) {
	_, err := run(t, "", "request", "show", "REQ-1", "--nats-url", "nats://127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "nats://127.0.0.1:1") {
		t.Fatalf("unreachable NATS: %v", err)
	}
	t.Setenv("ACCTFLOW_NATS_URL", "nats://127.0.0.1:2")
	_, err = run(t, "", "request", "show", "REQ-1")
	if err == nil || !strings.Contains(err.Error(), "nats://127.0.0.1:2") {
		t.Fatalf("environment twin ignored: %v", err)
	}
	if _, err := run(t, "", "serve", "--handlers", "nope"); err == nil || !strings.Contains(err.Error(), "unknown handler") {
		t.Fatalf("unknown handler: %v", err)
	}
}

// deadlineCtx ends, when told, as a context whose deadline passed.
type deadlineCtx struct {
	context.Context
	done chan struct{}
}

func (c deadlineCtx) Done() <-chan struct{} { return c.done }
func (c deadlineCtx) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// serve stops when its context ends by a deadline too: every background
// part then ends with DeadlineExceeded, and none may be left waiting to
// report it (serve used to hang in shutdown).
func TestServeStopsAtItsDeadline(t *testing.T) {
	natsAddr, httpAddr := freeAddr(t), freeAddr(t)
	ctx := deadlineCtx{Context: context.Background(), done: make(chan struct{})}
	root := newRoot()
	root.SetArgs([]string{"serve", "--data-dir", t.TempDir(), "--nats-listen", natsAddr, "--http-addr", httpAddr,
		"--nats-sync", "1m", "--log-level", "error"})
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	waitReady(t, "http://"+httpAddr, done, 30*time.Second)
	close(ctx.done)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop after its deadline")
	}
}

// A second serve on a data dir whose embedded store is in use stops before
// touching it, and says why.
func TestServeRefusesADataDirInUse(t *testing.T) {
	dir := t.TempDir()
	first := startServe(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	second := newRoot()
	second.SetArgs([]string{"serve", "--data-dir", dir, "--nats-listen", freeAddr(t), "--http-addr", freeAddr(t),
		"--dev-smtp", freeAddr(t), "--dev-imap", freeAddr(t), "--log-level", "warn"})
	second.SetErr(io.Discard)
	err := second.ExecuteContext(ctx)
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "another acctflow serve (pid ") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second serve on the same data dir: %v", err)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	// Once the first has stopped, the dir is free again.
	startServe(t, dir)
}

// `request show --wait STAGE` returns once the request is at that stage,
// even when it was not recorded yet; past --timeout it says where it is.
func TestRequestShowWaitsForAStage(t *testing.T) {
	inst := startServe(t, t.TempDir(), "--handlers", "routing,projection")
	type result struct {
		out string
		err error
	}
	waited := make(chan result, 1)
	go func() {
		out, err := run(t, "", "request", "show", "REQ-1001", "--wait", "routed", "--timeout", "30s", "--nats-url", inst.natsURL)
		waited <- result{out, err}
	}()
	if _, err := run(t, "", "request", "create", "--file", "../../examples/events/account-requested-us.json", "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-waited:
		if r.err != nil || !strings.Contains(r.out, "Stage:           routed") {
			t.Fatalf("show --wait routed: %v\n%s", r.err, r.out)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("show --wait did not return")
	}
	_, err := run(t, "", "request", "show", "REQ-1001", "--wait", "approved", "--timeout", "300ms", "--nats-url", inst.natsURL)
	if err == nil || err.Error() != "request REQ-1001 is at stage routed after 300ms, not approved" {
		t.Fatalf("show --wait past its timeout: %v", err)
	}
	if _, err := run(t, "", "request", "show", "REQ-1001", "--wait", "done", "--nats-url", inst.natsURL); err == nil || !strings.Contains(err.Error(), "role_validated") {
		t.Fatalf("show --wait with no such stage: %v", err)
	}

	// Published again (the file as an argument this time): the id, and a
	// word that nothing changes.
	again := newRoot()
	var out, errOut bytes.Buffer
	again.SetArgs([]string{"request", "create", "../../examples/events/account-requested-us.json", "--nats-url", inst.natsURL})
	again.SetOut(&out)
	again.SetErr(&errOut)
	if err := again.ExecuteContext(context.Background()); err != nil || out.String() != "REQ-1001\n" ||
		!strings.Contains(errOut.String(), "REQ-1001 was requested before (now at stage routed): publishing it again changes nothing") {
		t.Fatalf("create again: %v %q %q", err, out.String(), errOut.String())
	}
	if _, err := run(t, "", "request", "create", "--nats-url", inst.natsURL); err == nil || !strings.Contains(err.Error(), "request create FILE") {
		t.Fatalf("create without a file: %v", err)
	}
}

// The embedded server has no authentication: serve refuses to open it
// beyond loopback.
func TestEmbeddedNATSStaysOnLoopback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	root := newRoot()
	root.SetErr(io.Discard)
	root.SetArgs([]string{"serve", "--data-dir", t.TempDir(), "--nats-listen", "0.0.0.0:0", "--http-addr", "", "--handlers", "none"})
	if err := root.ExecuteContext(ctx); err == nil || !strings.Contains(err.Error(), "loopback only") {
		t.Fatalf("embedded NATS on 0.0.0.0: %v", err)
	}
}

// Every ACCTFLOW_ variable the README, compose.yaml and .env.example name
// is read by something; a misspelt one is named at start.
func TestUnknownEnvironmentIsNamed(t *testing.T) {
	var docs []byte
	for _, f := range []string{"../../README.md", "../../compose.yaml", "../../.env.example"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b...)
	}
	var environ []string
	for _, name := range regexp.MustCompile(`ACCTFLOW_[A-Z0-9_]*[A-Z0-9]`).FindAllString(string(docs), -1) {
		if name != "ACCTFLOW_NATS_ULR" { // the README's example of a typo
			environ = append(environ, name+"=x")
		}
	}
	if len(environ) < 10 {
		t.Fatalf("only %d variables found in the docs", len(environ))
	}
	if unknown := unknownEnv(newRoot(), environ); len(unknown) > 0 {
		t.Errorf("documented but read by nothing: %v", unknown)
	}
	if got := unknownEnv(newRoot(), append(environ, "ACCTFLOW_NATS_ULR=nats://x", "PATH=/bin")); !slices.Equal(got, []string{"ACCTFLOW_NATS_ULR"}) {
		t.Errorf("unknown: %v", got)
	}
}

// `request show` says why a reply changed nothing.
func TestShowSaysWhyAReplyWasRejected(t *testing.T) {
	var r lifecycle.Record
	data := `{"reply_id":"0123456789abcdef","request_id":"REQ-1001","reason":"wrong_stage","detail":"the request is at stage approved","rejected_at":"2026-12-03T10:00:00Z"}`
	if err := lifecycle.Apply(&r, events.SubjectReplyRejected, []byte(data), events.Envelope{ID: "ev-1"}, 1); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printRecord(&out, r)
	if !strings.Contains(out.String(), "reply-rejected") || !strings.Contains(out.String(), "wrong_stage the request is at stage approved") {
		t.Fatalf("show:\n%s", out.String())
	}
}
