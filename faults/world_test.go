package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/sandbox"
)

// world is one fault run: the acctflow binary, a mail sandbox in this test
// process (it outlives every kill), the processes, and a NATS client playing
// the upstream.
type world struct {
	t        *testing.T
	bin, dir string
	mu       sync.Mutex // guards sb, replaced when the mail server restarts
	sb       *sandbox.Sandbox
	smtpAddr string
	mailDir  string
	nc       *nats.Conn
	js       jetstream.JetStream
	start    time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, bin: binary(t), dir: t.TempDir(), smtpAddr: freePort(t)}
	if keep := os.Getenv("ACCTFLOW_FAULTS_DIR"); keep != "" {
		w.dir = filepath.Join(keep, t.Name()) // kept after the run, to read the logs
		_ = os.MkdirAll(w.dir, 0o755)
	}
	w.mailDir = filepath.Join(w.dir, "mail")
	w.startMail()
	t.Cleanup(func() { _ = w.mail().Close() })
	return w
}

func (w *world) startMail() {
	sb, err := sandbox.Start(context.Background(), sandbox.Config{SMTPAddr: w.smtpAddr, IMAPAddr: "127.0.0.1:0", Dir: w.mailDir})
	if err != nil {
		w.t.Error(err)
		return
	}
	w.mu.Lock()
	w.sb = sb
	w.mu.Unlock()
}

func (w *world) mail() *sandbox.Sandbox {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sb
}

// serve returns an `acctflow serve` process (not started) with its log file.
func (w *world) serve(name string, args ...string) *proc {
	logf, err := os.Create(filepath.Join(w.dir, name+".log"))
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { logf.Close() })
	host, port, _ := strings.Cut(w.smtpAddr, ":")
	base := []string{"serve", "--http-addr", "", "--log-format", "json",
		"--smtp-host", host, "--smtp-port", port, "--smtp-tls", "none", "--smtp-timeout", "3s"}
	p := &proc{t: w.t, bin: w.bin, log: logf, args: append(base, args...),
		env: []string{"ACCTFLOW_REPLY_KEY=fault-suite-reply-key-0123456789"}}
	w.t.Cleanup(func() {
		if p.cmd != nil && p.cmd.ProcessState == nil {
			_ = p.stop()
		}
	})
	return p
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

func contact(i int) string { return fmt.Sprintf("contact%d@faults.example", i) }
func reqID(i int) string   { return fmt.Sprintf("REQ-F%05d", i) }

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

// verify waits for the pipeline to drain, prints the table row and fails on
// any lost request or duplicated effect.
func (w *world) verify(ctx context.Context, profile string, n int, faults string) {
	t := w.t
	var lost []string
	err := waitFor(ctx, 250*time.Millisecond, func() error {
		lost = lost[:0]
		for i := range n {
			if len(w.mail().Messages(contact(i))) == 0 {
				lost = append(lost, reqID(i))
			}
		}
		if len(lost) > 0 {
			return fmt.Errorf("%d requests without a confirmation, e.g. %s", len(lost), lost[0])
		}
		return consumersIdle(ctx, w.js)
	})
	drain := time.Since(w.start)
	if err != nil {
		t.Errorf("not drained: %v", err)
	}
	stuck := 0
	if bucket, err := w.js.KeyValue(ctx, "requests"); err == nil {
		for i := range n {
			e, err := bucket.Get(ctx, reqID(i))
			var rec lifecycle.Record
			if err == nil {
				err = json.Unmarshal(e.Value(), &rec)
			}
			if err != nil || rec.Stage != lifecycle.StageAwaitingDetails {
				stuck++
			}
		}
	} else {
		stuck = n
	}
	dupMails, distinctDup := 0, 0
	for i := range n {
		msgs := w.mail().Messages(contact(i))
		if len(msgs) > 1 {
			dupMails += len(msgs) - 1
			ids := map[string]bool{}
			for _, m := range msgs {
				ids[messageID(m)] = true
			}
			distinctDup += len(ids) - 1
		}
	}
	routed := countSubject(ctx, t, w.js, "acct.routed.>")
	dlq := countDLQ(ctx, w.js)
	t.Logf("\n| profile | requests | faults injected | lost | not at final stage | duplicate routings | duplicate confirmations (same Message-ID) | distinct duplicate confirmations | DLQ records | time to drain |\n"+
		"|---|---|---|---|---|---|---|---|---|---|\n| %s | %d | %s | %d | %d | %d | %d | %d | %d | %s |",
		profile, n, faults, len(lost), stuck, routed-n, dupMails, distinctDup, dlq, drain.Round(time.Millisecond))
	if len(lost) > 0 || stuck > 0 || routed != n || distinctDup > 0 || dlq != 0 {
		t.Fatalf("faults broke a guarantee (see the table); logs in %s", w.dir)
	}
}

func profileSize(short, long int) int {
	if os.Getenv("ACCTFLOW_FAULTS") == "long" {
		return envInt("ACCTFLOW_FAULTS_N", long)
	}
	return short
}
