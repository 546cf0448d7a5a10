package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/sandbox"
)

// TestCrash publishes N requests while `acctflow serve` is killed with
// SIGKILL at random moments and restarted on the same data dir, then checks
// that every request was routed and confirmed exactly once. Mail goes to a
// sandbox in this test process, which outlives every kill.
func TestCrash(t *testing.T) {
	n, kills := 40, 3
	if os.Getenv("ACCTFLOW_FAULTS") == "long" {
		n, kills = envInt("ACCTFLOW_FAULTS_N", 1000), envInt("ACCTFLOW_FAULTS_KILLS", 12)
	}
	bin := binary(t)
	dir := t.TempDir()
	if keep := os.Getenv("ACCTFLOW_FAULTS_DIR"); keep != "" {
		dir = keep // kept after the run, to read serve.log
	}
	sb, err := sandbox.Start(context.Background(), sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	smtpHost, smtpPort, _ := strings.Cut(sb.SMTPAddr(), ":")
	natsAddr := freePort(t)
	logf, _ := os.Create(filepath.Join(dir, "serve.log"))
	defer logf.Close()
	p := &proc{t: t, bin: bin, log: logf,
		args: []string{"serve", "--data-dir", filepath.Join(dir, "data"), "--nats-listen", natsAddr, "--http-addr", "",
			"--smtp-host", smtpHost, "--smtp-port", smtpPort, "--smtp-tls", "none", "--smtp-timeout", "3s", "--log-format", "json"},
		env: []string{"ACCTFLOW_REPLY_KEY=fault-suite-reply-key-0123456789"},
	}
	p.start()
	defer func() { _ = p.stop() }()

	nc, err := nats.Connect("nats://"+natsAddr, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.RetryOnFailedConnect(true), nats.Timeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(60+n/5)*time.Second)
	defer cancel()

	// The killer: SIGKILL at random moments while requests flow.
	var killed atomic.Int32
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		for range kills {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(300+rand.IntN(900)) * time.Millisecond):
			}
			p.kill()
			killed.Add(1)
			p.start()
		}
	}()

	// The upstream: publishes each request until JetStream acknowledges it,
	// as a well-behaved upstream retries through an outage.
	for i := range n {
		id := fmt.Sprintf("REQ-F%05d", i)
		body := fmt.Sprintf(`{"request_id":%q,"requested_at":"2026-11-25T18:00:00Z","provider":"aws",
		 "reseller":{"id":"R-1","name":"Fault Reseller","country":"US","primary_contact":{"name":"Contact %d","email":"contact%d@faults.example"}},
		 "customer":{"id":"C-1","name":"Acme"},"pricebook":{"present":true,"invoice_currency":"USD","provider_enabled_in_portal":true}}`, id, i, i)
		err := waitFor(ctx, 100*time.Millisecond, func() error {
			pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
			defer pcancel()
			_, err := js.PublishMsg(pctx, &nats.Msg{Subject: events.SubjectRequested, Data: []byte(body),
				Header: nats.Header{events.HeaderMsgID: []string{"upstream-" + id}}})
			return err
		})
		if err != nil {
			t.Fatalf("publishing %s: %v", id, err)
		}
	}
	<-killerDone

	// Drain: every request confirmed, every consumer idle.
	kv := func() (jetstream.KeyValue, error) { return js.KeyValue(ctx, "requests") }
	var lost []string
	err = waitFor(ctx, 250*time.Millisecond, func() error {
		lost = lost[:0]
		for i := range n {
			if len(sb.Messages(fmt.Sprintf("contact%d@faults.example", i))) == 0 {
				lost = append(lost, fmt.Sprintf("REQ-F%05d", i))
			}
		}
		if len(lost) > 0 {
			return fmt.Errorf("%d requests without a confirmation, e.g. %s", len(lost), lost[0])
		}
		return consumersIdle(ctx, js)
	})
	drain := time.Since(start)
	if err != nil {
		t.Errorf("not drained: %v", err)
	}
	bucket, err := kv()
	if err != nil {
		t.Fatal(err)
	}
	stuck := 0
	for i := range n {
		e, err := bucket.Get(ctx, fmt.Sprintf("REQ-F%05d", i))
		var rec lifecycle.Record
		if err == nil {
			err = json.Unmarshal(e.Value(), &rec)
		}
		if err != nil || rec.Stage != lifecycle.StageAwaitingDetails {
			stuck++
		}
	}
	dupMails, distinctDup := 0, 0
	for i := range n {
		msgs := sb.Messages(fmt.Sprintf("contact%d@faults.example", i))
		if len(msgs) > 1 {
			dupMails += len(msgs) - 1
			ids := map[string]bool{}
			for _, m := range msgs {
				ids[messageID(m)] = true
			}
			distinctDup += len(ids) - 1
		}
	}
	routed := countSubject(ctx, t, js, "acct.routed.>")
	dlq := countDLQ(ctx, js)
	t.Logf("\n| profile | requests | SIGKILLs | lost | not at final stage | duplicate routings | duplicate confirmations (same Message-ID) | distinct duplicate confirmations | DLQ | time to drain |\n"+
		"|---|---|---|---|---|---|---|---|---|---|\n| crash | %d | %d | %d | %d | %d | %d | %d | %d | %s |",
		n, killed.Load(), len(lost), stuck, routed-n, dupMails, distinctDup, dlq, drain.Round(time.Millisecond))
	if len(lost) > 0 || stuck > 0 || routed != n || distinctDup > 0 || dlq > 0 {
		t.Fatalf("faults broke a guarantee (see table); serve log: %s", logf.Name())
	}
}

func messageID(raw []byte) string {
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Message-ID") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func consumersIdle(ctx context.Context, js jetstream.JetStream) error {
	stream, err := js.Stream(ctx, events.Stream)
	if err != nil {
		return err
	}
	lister := stream.ListConsumers(ctx)
	for info := range lister.Info() {
		if info.NumPending > 0 || info.NumAckPending > 0 {
			return fmt.Errorf("consumer %s: %d pending, %d unacknowledged", info.Name, info.NumPending, info.NumAckPending)
		}
	}
	if err := lister.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		return err
	}
	return nil
}

func countSubject(ctx context.Context, t *testing.T, js jetstream.JetStream, filter string) int {
	s, err := js.Stream(ctx, events.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range info.State.Subjects {
		total += int(c)
	}
	return total
}

func countDLQ(ctx context.Context, js jetstream.JetStream) int {
	s, err := js.Stream(ctx, events.DLQStream)
	if err != nil {
		return -1
	}
	info, err := s.Info(ctx)
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}
