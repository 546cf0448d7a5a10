package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
	"github.com/acctflow/acctflow/sandbox/devaws"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// inbox is the workflow inbox the serve processes read over IMAP from the
// sandbox in this process; opsMailbox receives the provisioning alerts.
const (
	inbox      = "acct-replies@acctflow.localhost"
	opsMailbox = "cloud-ops@acctflow.localhost"
)

// world is one fault run: the acctflow binary, and in this test process
// everything outside acctflow that must outlive every kill: the mail
// sandbox (SMTP and IMAP), the Organizations/STS fake, the help desk fake,
// and a NATS client playing the upstream.
type world struct {
	t                  *testing.T
	bin, dir           string
	mu                 sync.Mutex // guards sb, replaced when the mail server restarts
	sb                 *devmail.Sandbox
	smtpAddr, imapAddr string
	mailDir            string
	aws                *devaws.Server
	desk               *freshdesktest.Server
	apis               []string // base URLs of the serve processes' HTTP APIs
	procs              []*proc
	nc                 *nats.Conn
	js                 jetstream.JetStream
	start              time.Time
	flow               *flow
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, bin: binary(t), dir: t.TempDir(), smtpAddr: freePort(t), imapAddr: freePort(t)}
	if keep := os.Getenv("ACCTFLOW_FAULTS_DIR"); keep != "" {
		w.dir = filepath.Join(keep, t.Name()) // kept after the run, to read the logs
		_ = os.RemoveAll(w.dir)
		_ = os.MkdirAll(w.dir, 0o755)
	}
	w.mailDir = filepath.Join(w.dir, "mail")
	w.startMail()
	t.Cleanup(func() {
		if sb := w.mail(); sb != nil {
			_ = sb.Close()
		}
	})
	w.aws = devaws.NewServer()
	t.Cleanup(w.aws.Close)
	w.desk = freshdesktest.New(t)
	return w
}

// startMail (re)starts the sandbox on the world's addresses and store. A
// port can be taken meanwhile by someone's outgoing connection: it tries
// again for a while, as a restarted mail server would.
func (w *world) startMail() {
	var sb *devmail.Sandbox
	err := waitFor(context.Background(), 200*time.Millisecond, func() error {
		var err error
		sb, err = devmail.Start(context.Background(), devmail.Config{SMTPAddr: w.smtpAddr, IMAPAddr: w.imapAddr, Dir: w.mailDir})
		return err
	}, 50)
	if err != nil {
		w.t.Errorf("starting the mail sandbox: %v", err)
		return
	}
	w.mu.Lock()
	w.sb = sb
	w.mu.Unlock()
}

// stopMail closes the sandbox; mail() keeps answering from the closed one
// (its store is still readable) until startMail replaces it.
func (w *world) stopMail() { _ = w.mail().Close() }

func (w *world) mail() *devmail.Sandbox {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sb
}

// serve returns an `acctflow serve` process (not started) with its log file,
// wired to the world's mail, AWS and help desk. withAPI gives it an HTTP API
// the flow's people talk to.
func (w *world) serve(name string, withAPI bool, args ...string) *proc {
	logf, err := os.Create(filepath.Join(w.dir, name+".log"))
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { logf.Close() })
	host, port, _ := strings.Cut(w.smtpAddr, ":")
	_, imapPort, _ := strings.Cut(w.imapAddr, ":")
	httpAddr := ""
	if withAPI {
		httpAddr = freePort(w.t)
		w.apis = append(w.apis, "http://"+httpAddr)
	}
	base := []string{"serve", "--http-addr", httpAddr, "--log-format", "json",
		"--smtp-host", host, "--smtp-port", port, "--smtp-tls", "none", "--smtp-timeout", "3s",
		"--imap-host", host, "--imap-port", imapPort, "--imap-tls", "none", "--imap-mailboxes", inbox,
		"--imap-poll", "1s", "--inbox-address", inbox, "--ops-email", opsMailbox,
		"--provisioner", "organizations", "--distributor-account-id", devaws.ManagementAccount,
		"--aws-max-concurrent", "100", "--freshdesk-url", w.desk.URL}
	env := append([]string{"ACCTFLOW_REPLY_KEY=fault-suite-reply-key-0123456789",
		"ACCTFLOW_IMAP_PASSWORD=sandbox", "ACCTFLOW_FRESHDESK_API_KEY=" + freshdesktest.APIKey,
		"AWS_PROFILE=", "AWS_SESSION_TOKEN=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}, w.aws.Env()...)
	p := &proc{t: w.t, bin: w.bin, log: logf, args: append(base, args...), env: env}
	w.procs = append(w.procs, p)
	w.t.Cleanup(func() { _ = p.stop() })
	return p
}

// setup runs `acctflow setup` against urls, as a deployment does once before
// starting serve processes with --nats-url.
func (w *world) setup(ctx context.Context, urls string, args ...string) {
	w.t.Helper()
	cmd := exec.CommandContext(ctx, w.bin, append([]string{"setup", "--nats-url", urls, "--aws-max-concurrent", "100"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		w.t.Fatalf("acctflow setup: %v\n%s", err, out)
	}
}

// connect is the upstream's connection: it reconnects forever.
func (w *world) connect(urls string) {
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.RetryOnFailedConnect(true), nats.Timeout(2*time.Second))
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(nc.Close)
	w.nc = nc
	w.js, _ = jetstream.New(nc)
}

func contact(i int) string   { return fmt.Sprintf("contact%d@faults.example", i) }
func rootEmail(i int) string { return fmt.Sprintf("root%05d@faults.example", i) }
func reqID(i int) string     { return fmt.Sprintf("REQ-F%05d", i) }
func changeID(i int) string  { return fmt.Sprintf("CHG-F%05d", i) }

// publish sends n requests, each until JetStream acknowledges it, as a
// well-behaved upstream retries through an outage.
func (w *world) publish(ctx context.Context, n int) {
	w.start = time.Now()
	for i := range n {
		body := fmt.Sprintf(`{"request_id":%q,"requested_at":"2026-11-25T18:00:00Z","provider":"aws",
		 "reseller":{"id":"R-1","name":"Fault Reseller","country":"US","primary_contact":{"name":"Contact %d","email":%q}},
		 "customer":{"id":"C-1","name":"Acme"},"pricebook":{"present":true,"invoice_currency":"USD","provider_enabled_in_portal":true}}`, reqID(i), i, contact(i))
		err := waitFor(ctx, 100*time.Millisecond, func() error {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err := w.js.PublishMsg(pctx, &nats.Msg{Subject: events.SubjectRequested, Data: []byte(body),
				Header: nats.Header{events.HeaderMsgID: []string{"upstream-" + reqID(i)}}})
			return err
		})
		if err != nil {
			w.t.Fatalf("publishing %s: %v", reqID(i), err)
		}
	}
}

// run publishes n requests and plays every person in the flow until each
// request is done or ctx ends.
func (w *world) run(ctx context.Context, n int) {
	if w.flow == nil {
		w.flow = newFlow(w, n)
	}
	w.publish(ctx, n)
	w.flow.drive(ctx)
}

func profileSize(short, long int) int {
	if os.Getenv("ACCTFLOW_FAULTS") == "long" {
		return envInt("ACCTFLOW_FAULTS_N", long)
	}
	return short
}

// streamReady returns a check that the pipeline's stream exists, each try
// bounded: a cluster still electing leaders may not answer at all.
func (w *world) streamReady(ctx context.Context) func() error {
	return func() error {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := w.js.Stream(sctx, events.Stream)
		return err
	}
}
