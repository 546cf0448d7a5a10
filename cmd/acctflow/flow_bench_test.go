package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/smtp"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/routing"
)

// flowBurst is the number of requests of one whole-flow burst.
const flowBurst = 3000

// restTimeout bounds the wait for serve to give a burst's heap back (after
// 30 s of quiet, package memory).
const restTimeout = 3 * time.Minute

// BenchmarkWholeFlow sends a burst of requests to `acctflow serve` (its own
// process: every handler, embedded NATS fsyncing every write, the dev mail
// sandbox) and times it from the first publish to the last
// acct.confirmation.sent; then it reads the process's resident memory. In the
// same run, a hand-written minimal pipeline with the same durability does the
// same work (before acctflow's burst and after, averaged): a JetStream pull
// consumer per stage with 64 messages in flight,
// its own embedded server fsyncing every write, routing.Decide, one net/smtp
// email per request to the same sandbox, and three events per request
// (requested, routed, sent). It reports both rates, their ratio, and the
// JetStream writes per request of each (every stream and KV write, counted
// from the streams' last sequences), and serve's CPU time per request over
// the burst (its process: handlers, NATS server and the mail sandbox, which
// the minimal pipeline's emails use too).
//
//	go test -run '^$' -bench WholeFlow -benchtime 1x ./cmd/acctflow/
//
// To take it apart: BENCH_SYNC sets serve's --nats-sync (default always; 2m
// shows what the fsyncs cost, the minimal pipeline keeps fsyncing every
// write); BENCH_HANDLERS sets --handlers (routing,confirmation: the flow
// without the projection and reminders); BENCH_TRACE prints each stage's
// progress twice a second; BENCH_SERVE_GOMEMLIMIT sets serve's GOMEMLIMIT;
// BENCH_HEAP_PROFILE=file writes serve's heap profile at rest;
// BENCH_CPU_PROFILE=file serve's CPU profile over its whole run.
func BenchmarkWholeFlow(b *testing.B) {
	n := flowBurst
	if testing.Short() {
		n = 300
	}
	dir := b.TempDir()
	smtpAddr, imapAddr := freeAddr(b), freeAddr(b)
	args := []string{"--nats-sync", envOr("BENCH_SYNC", "always"), "--dev-smtp", smtpAddr, "--dev-imap", imapAddr, "--log-level", "error"}
	if h := os.Getenv("BENCH_HANDLERS"); h != "" {
		args = append(args, "--handlers", h)
	}
	serve := startServeProcess(b, dir, args...)
	idleRSS, _ := serve.memory(b)
	nc, err := nats.Connect(serve.natsURL)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)

	minimal := startMinimal(b, smtpAddr)
	// A first burst runs slower than the next ones (the minimal pipeline's
	// rate grew 341, 447, 474, 487 req/s over four in a row): files, stream
	// blocks and heaps are still being made. Both pipelines get one, unmeasured.
	warm := max(n/10, 1)
	minimal.burst(b, warm)
	publishRequests(b, js, "acct.requested", "REQ-W", warm)
	waitSubject(b, js, events.Stream, events.SubjectConfirmationSent, warm)
	waitQuiet(b, js)
	sent := warm
	for b.Loop() {
		// The minimal pipeline before and after acctflow, while serve
		// idles: the machine's disk varies over a run, and the mean of the
		// two bursts brackets acctflow's.
		minBefore, minWrites := minimal.burst(b, n)

		releasedBefore, _, err := releasedCount(serve.httpURL)
		if err != nil {
			b.Fatal(err)
		}
		byStream := writesByStream(b, js)
		before := streamWrites(b, js)
		start, cpuBefore := time.Now(), serve.cpu(b)
		publishRequests(b, js, "acct.requested", fmt.Sprintf("REQ-F%d-", sent), n)
		sent += n
		waitSubject(b, js, events.Stream, events.SubjectConfirmationSent, sent)
		elapsed := time.Since(start)
		rate := float64(n) / elapsed.Seconds()
		cpu := serve.cpu(b) - cpuBefore
		b.Logf("serve used %.0f%% of a core during the burst", 100*cpu.Seconds()/elapsed.Seconds())
		// Writes that follow the email (the projection's fold of
		// acct.confirmation.sent, the reminder timer) belong to the request.
		waitQuiet(b, js)
		writes := float64(streamWrites(b, js)-before) / float64(n)
		logWrites(b, js, byStream, n)
		rss, peak := serve.memory(b)
		end := time.Now()
		minAfter, _ := minimal.burst(b, n)
		// At rest: once serve has given the burst's heap back (the minimal
		// pipeline's second burst above took some of that time).
		var rest time.Duration
		brokertest.CheckFor(b, restTimeout, time.Second, func() error {
			n, _, err := releasedCount(serve.httpURL)
			if err == nil && n <= releasedBefore {
				err = fmt.Errorf("serve has not given memory back (released %d times)", n)
			}
			rest = time.Since(end)
			return err
		})
		restRSS, _ := serve.memory(b)
		if os.Getenv("BENCH_HEAP_PROFILE") != "" {
			_ = serve.cmd.Process.Signal(syscall.SIGUSR1)
			time.Sleep(2 * time.Second)
		}
		minRate := (minBefore + minAfter) / 2
		b.Logf("minimal pipeline: %.0f req/s before, %.0f after", minBefore, minAfter)

		b.ReportMetric(rate, "acctflow_req/s")
		b.ReportMetric(minRate, "minimal_req/s")
		b.ReportMetric(rate/minRate, "acctflow/minimal")
		b.ReportMetric(writes, "acctflow_writes/req")
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "serve_cpu_ms/req")
		b.ReportMetric(rss, "serve_RSS_MB")
		b.ReportMetric(peak, "serve_peak_RSS_MB")
		b.ReportMetric(restRSS, "serve_rest_RSS_MB")
		b.ReportMetric(rest.Seconds(), "serve_rest_after_s")
		b.ReportMetric(idleRSS, "serve_start_RSS_MB")
		b.ReportMetric(minWrites, "minimal_writes/req")
	}
}

// requestJSON is an acct.requested payload for the US region (workflow
// inbox), with one of 50 contacts.
func requestJSON(id string, i int) []byte {
	return fmt.Appendf(nil, `{"request_id":%q,"requested_at":"2026-11-25T18:00:00Z","provider":"aws",
	 "reseller":{"id":"R-1","name":"Northwind IT","country":"US","primary_contact":{"name":"Jane","email":"jane%d@northwind.example"}},
	 "customer":{"id":"C-1","name":"Acme"},"pricebook":{"present":true,"invoice_currency":"USD","provider_enabled_in_portal":true}}`, id, i%50)
}

func publishRequests(b *testing.B, js jetstream.JetStream, subject, prefix string, n int) {
	b.Helper()
	for i := range n {
		id := fmt.Sprintf("%s%07d", prefix, i)
		msg := &nats.Msg{Subject: subject, Data: requestJSON(id, i), Header: nats.Header{}}
		msg.Header.Set(events.HeaderMsgID, "bench-"+id)
		if _, err := js.PublishMsgAsync(msg); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publishing the burst timed out")
	}
}

// waitSubject polls until stream holds n messages on subject.
func waitSubject(b *testing.B, js jetstream.JetStream, stream, subject string, n int) {
	b.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			b.Fatal(err)
		}
		if info.State.Subjects[subject] >= uint64(n) {
			return
		}
		if os.Getenv("BENCH_TRACE") != "" {
			traceProgress(b, js, s)
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: %d of %d after 10 minutes", subject, info.State.Subjects[subject], n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// streamWrites is the number of messages ever stored in every stream (KV
// buckets and the object store included): each one a write, fsynced when
// the server syncs always.
func streamWrites(b *testing.B, js jetstream.JetStream) uint64 {
	b.Helper()
	var total uint64
	for _, n := range writesByStream(b, js) {
		total += n
	}
	return total
}

func writesByStream(b *testing.B, js jetstream.JetStream) map[string]uint64 {
	b.Helper()
	by := map[string]uint64{}
	l := js.ListStreams(context.Background())
	for info := range l.Info() {
		by[info.Config.Name] = info.State.LastSeq
	}
	if err := l.Err(); err != nil {
		b.Fatal(err)
	}
	return by
}

// logWrites logs the writes per request of each stream since before.
func logWrites(b *testing.B, js jetstream.JetStream, before map[string]uint64, n int) {
	b.Helper()
	var parts []string
	for name, last := range writesByStream(b, js) {
		if d := last - before[name]; d > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f", name, float64(d)/float64(n)))
		}
	}
	slices.Sort(parts)
	b.Logf("writes per request by stream: %s", strings.Join(parts, ", "))
}

// waitQuiet waits until no stream has been written for 300ms.
func waitQuiet(b *testing.B, js jetstream.JetStream) {
	b.Helper()
	last, since := streamWrites(b, js), time.Now()
	for time.Since(since) < 300*time.Millisecond {
		time.Sleep(50 * time.Millisecond)
		if w := streamWrites(b, js); w != last {
			last, since = w, time.Now()
		}
	}
}

// minimal is the hand-written pipeline: stream MIN, two stages.
type minimal struct {
	js       jetstream.JetStream
	smtpAddr string
	table    *routing.Table
	runs     int
	sent     int // emails sent over all bursts
}

const minimalInFlight = 64

func startMinimal(b *testing.B, smtpAddr string) *minimal {
	b.Helper()
	conn := brokertest.Connect(b, brokertest.ServerSync(b, b.TempDir(), 0))
	ctx := context.Background()
	if _, err := conn.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "MIN", Subjects: []string{"min.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	table, err := routing.LoadTable("")
	if err != nil {
		b.Fatal(err)
	}
	p := &minimal{js: conn.JS, smtpAddr: smtpAddr, table: table}
	ctx, cancel := context.WithCancel(ctx)
	b.Cleanup(cancel)
	p.stage(b, ctx, "route", "min.requested", p.route)
	p.stage(b, ctx, "email", "min.routed", p.email)
	return p
}

// burst runs one burst of n requests through the minimal pipeline and
// returns its rate and JetStream writes per request.
func (p *minimal) burst(b *testing.B, n int) (rate, writes float64) {
	b.Helper()
	p.runs++
	p.sent += n
	prefix := fmt.Sprintf("REQ-M%d", p.runs)
	before := streamWrites(b, p.js)
	start := time.Now()
	publishRequests(b, p.js, "min.requested", prefix, n)
	waitSubject(b, p.js, "MIN", "min.sent", p.sent)
	rate = float64(n) / time.Since(start).Seconds()
	return rate, float64(streamWrites(b, p.js)-before) / float64(n)
}

// stage consumes subject with minimalInFlight workers; each message is
// handled, its output published (synchronously, with a message id), then
// acked.
func (p *minimal) stage(b *testing.B, ctx context.Context, name, subject string, handle func(ctx context.Context, m jetstream.Msg) error) {
	cons, err := p.js.CreateOrUpdateConsumer(ctx, "MIN", jetstream.ConsumerConfig{
		Durable: name, FilterSubject: subject, AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: minimalInFlight,
	})
	if err != nil {
		b.Fatal(err)
	}
	work := make(chan jetstream.Msg)
	for range minimalInFlight {
		go func() {
			for m := range work {
				if err := handle(ctx, m); err != nil {
					b.Log(err)
					_ = m.Nak()
					continue
				}
				_ = m.Ack()
			}
		}()
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { work <- m }, jetstream.PullMaxMessages(minimalInFlight))
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		<-ctx.Done()
		cc.Stop()
	}()
}

func (p *minimal) route(ctx context.Context, m jetstream.Msg) error {
	req, err := events.ParseAccountRequested(m.Data(), events.IDFromHash(m.Data()), time.Now())
	if err != nil {
		return err
	}
	routed, rejected := routing.Decide(req, p.table, time.Now())
	if rejected != nil {
		return fmt.Errorf("rejected %s", req.RequestID)
	}
	data, err := json.Marshal(routed)
	if err != nil {
		return err
	}
	return p.publish(ctx, "min.routed", "routed-"+req.RequestID, data)
}

func (p *minimal) email(ctx context.Context, m jetstream.Msg) error {
	var routed events.AccountRouted
	if err := json.Unmarshal(m.Data(), &routed); err != nil {
		return err
	}
	to := routed.Request.Reseller.PrimaryContact.Email
	body := strings.Repeat("Thank you for your request. Please reply with the root email, nickname and support type.\r\n", 30)
	msg := "From: provisioning@acctflow.localhost\r\nTo: " + to + "\r\nSubject: Request received [" + routed.Request.RequestID +
		"]\r\nMessage-ID: <" + routed.Request.RequestID + "@acctflow.localhost>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
	if err := smtp.SendMail(p.smtpAddr, nil, "provisioning@acctflow.localhost", []string{to}, []byte(msg)); err != nil {
		return err
	}
	return p.publish(ctx, "min.sent", "sent-"+routed.Request.RequestID, []byte(`{"request_id":"`+routed.Request.RequestID+`"}`))
}

func (p *minimal) publish(ctx context.Context, subject, id string, data []byte) error {
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	msg.Header.Set(events.HeaderMsgID, id)
	_, err := p.js.PublishMsg(ctx, msg)
	return err
}

// childEnv marks the test binary run as `acctflow` itself (TestMain).
const childEnv = "ACCTFLOW_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if path := os.Getenv("BENCH_HEAP_PROFILE"); path != "" {
			// BenchmarkWholeFlow asks for a heap profile at rest.
			usr1 := make(chan os.Signal, 1)
			signal.Notify(usr1, syscall.SIGUSR1)
			go func() {
				for range usr1 {
					runtime.GC()
					if f, err := os.Create(path); err == nil {
						_ = pprof.WriteHeapProfile(f)
						_ = f.Close()
					}
				}
			}()
		}
		stopProfile := func() {}
		if path := os.Getenv("BENCH_CPU_PROFILE"); path != "" {
			// BenchmarkWholeFlow: serve's CPU profile, start to exit.
			if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
				stopProfile = func() {
					pprof.StopCPUProfile()
					_ = f.Close()
				}
			}
		}
		main()
		stopProfile()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveProcess is `acctflow serve` in a process of its own.
type serveProcess struct {
	natsURL, httpURL string
	cmd              *exec.Cmd
}

func startServeProcess(b *testing.B, dir string, extra ...string) *serveProcess {
	b.Helper()
	natsAddr, httpAddr := freeAddr(b), freeAddr(b)
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--data-dir", dir, "--nats-listen", natsAddr, "--http-addr", httpAddr}, extra...)...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	if v := os.Getenv("BENCH_SERVE_GOMEMLIMIT"); v != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+v)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
		}
	})
	waitReady(b, "http://"+httpAddr, exited, time.Minute)
	return &serveProcess{natsURL: "nats://" + natsAddr, httpURL: "http://" + httpAddr, cmd: cmd}
}

// cpu returns the CPU time the process has used so far (user and system).
func (p *serveProcess) cpu(b *testing.B) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		b.Logf("no CPU figure: %v", err)
		return 0
	}
	// Fields after the command's closing parenthesis: utime and stime are
	// the 12th and 13th, in clock ticks (100 a second on Linux).
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	var ticks int64
	for _, f := range fields[11:13] {
		n, _ := strconv.ParseInt(f, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// memory returns the process's resident memory now and at its peak, in MB.
func (p *serveProcess) memory(b *testing.B) (rss, peak float64) {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		b.Logf("no resident memory figure: %v", err)
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		var kb float64
		if _, err := fmt.Sscanf(line, "VmRSS: %f kB", &kb); err == nil {
			rss = kb / 1000
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %f kB", &kb); err == nil {
			peak = kb / 1000
		}
	}
	return rss, peak
}

// envOr is the environment variable k, or d when it is unset or empty.
func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func traceProgress(b *testing.B, js jetstream.JetStream, s jetstream.Stream) {
	ctx := context.Background()
	info, _ := s.Info(ctx, jetstream.WithSubjectFilter("acct.>"))
	var parts []string
	for _, c := range []string{"routing", "confirmation", "projection", "reminders"} {
		cons, err := js.Consumer(ctx, s.CachedInfo().Config.Name, c)
		if err != nil {
			continue
		}
		ci, _ := cons.Info(ctx)
		parts = append(parts, fmt.Sprintf("%s pend=%d ack=%d", c, ci.NumPending, ci.NumAckPending))
	}
	fmt.Fprintf(os.Stderr, "%s subjects=%v %s\n", time.Now().Format("15:04:05.000"), info.State.Subjects, strings.Join(parts, " | "))
	time.Sleep(490 * time.Millisecond)
}
