package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/deploy"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// Every handler has a factory, and every factory is declared.
func TestEveryDeclaredHandlerIsWired(t *testing.T) {
	for _, n := range deploy.Names() {
		if handlerFactories[n] == nil {
			t.Errorf("handler %s is declared (package deploy) but has no factory", n)
		}
	}
	for n := range handlerFactories {
		if _, ok := deploy.Handler(n); !ok {
			t.Errorf("handler %s has a factory but no declaration in package deploy", n)
		}
	}
}

// Against a broker nobody has set up, serve --nats-url starts nothing and
// names what is missing; after `acctflow setup` it starts.
func TestServeChecksWhatSetupProvisioned(t *testing.T) {
	srv := brokertest.Server(t)
	root := newRoot()
	root.SetArgs([]string{"serve", "--nats-url", srv.ClientURL(), "--handlers", "routing,provisioning", "--http-addr", "", "--data-dir", t.TempDir()})
	root.SetErr(io.Discard)
	err := root.ExecuteContext(context.Background())
	for _, want := range []string{"acctflow setup", "stream ACCOUNTS", "bucket delivery-failures", "consumer ACCOUNTS/routing", "consumer PROVISIONING/provisioning-driver"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("serve on a broker not set up: %v; want it to name %q", err, want)
		}
	}
	if _, err := run(t, "", "setup", "--log-level", "warn", "--nats-url", srv.ClientURL(), "--aws-max-concurrent", "7", "--retention", "24h"); err != nil {
		t.Fatal(err)
	}
	conn, err := broker.Connect(context.Background(), broker.ConnConfig{URL: srv.ClientURL()}) // brokertest.Connect would provision
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	check := func(what string, maxConc int, retention time.Duration) {
		t.Helper()
		driver, err := conn.JS.Consumer(context.Background(), broker.StreamProvisioning, "provisioning-driver")
		if err != nil || driver.CachedInfo().Config.MaxAckPending != maxConc {
			t.Fatalf("%s: the driver's consumer %v, %v; want %d in flight", what, driver, err, maxConc)
		}
		mail, err := conn.JS.ObjectStore(context.Background(), broker.ObjectMailRaw)
		if err != nil {
			t.Fatal(err)
		}
		if st, err := mail.Status(context.Background()); err != nil || st.TTL() != retention {
			t.Fatalf("%s: raw mail kept %v (%v), want %s", what, st.TTL(), err, retention)
		}
	}
	check("setup --aws-max-concurrent 7 --retention 24h", 7, 24*time.Hour)
	// Run again without them: what the last run chose stays.
	if _, err := run(t, "", "setup", "--log-level", "warn", "--nats-url", srv.ClientURL()); err != nil {
		t.Fatal(err)
	}
	check("setup again with no settings", 7, 24*time.Hour)
	if _, err := run(t, "", "setup", "--log-level", "warn", "--nats-url", srv.ClientURL(), "--aws-max-concurrent", "9"); err != nil {
		t.Fatal(err)
	}
	check("setup --aws-max-concurrent 9", 9, 24*time.Hour)
	stop := startProcess(t, "serve", "--nats-url", srv.ClientURL(), "--handlers", "routing", "--http-addr", "", "--data-dir", t.TempDir())
	waitConsuming(t, srv.ClientURL(), deploy.Handlers[:1])
	stop()
}

// startProcess runs acctflow with args in-process until the test ends (or
// stop), failing the test if it exits early.
func startProcess(t *testing.T, args ...string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	root := newRoot()
	root.SetArgs(append(args, "--log-level", "warn"))
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("acctflow %s: %v", strings.Join(args, " "), err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("acctflow %s did not stop", strings.Join(args, " "))
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitConsuming waits until a process pulls from each declared consumer.
func waitConsuming(t *testing.T, url string, decls []broker.Declaration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := broker.Connect(ctx, broker.ConnConfig{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, d := range decls {
		for _, c := range d.ConsumerSpecs() {
			stream := c.Stream
			if stream == "" {
				stream = events.Stream
				if strings.HasPrefix(c.Subjects[0], "timer.") {
					stream = broker.TimerStream
				}
			}
			brokertest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
				info, err := conn.JS.Consumer(ctx, stream, c.Name)
				if err != nil {
					return err
				}
				if info.CachedInfo().NumWaiting == 0 {
					return fmt.Errorf("nobody pulls from %s/%s", stream, c.Name)
				}
				return nil
			})
		}
	}
}

// TestEveryHandlerAsItsOwnUser runs the deployment compose.yaml describes,
// in process: deploy/nats.conf, `acctflow setup` as admin, each handler its
// own serve connected as its own NATS user, the API as api. A request goes
// from creation to a created account, its role is checked and its support
// changed, and the server logs no permission violation: each user's
// permissions are enough for all its handler does.
func TestEveryHandlerAsItsOwnUser(t *testing.T) {
	isolateAWS(t)
	for k, v := range deploy.PlaceholderEnv() { // nats.conf reads each password from the environment
		t.Setenv(k, v)
	}
	srv, violations := brokertest.ServerFromConfig(t, "../../deploy/nats.conf")
	host := strings.TrimPrefix(srv.ClientURL(), "nats://")
	urlOf := func(user string) string {
		return "nats://" + user + ":" + deploy.PlaceholderPassword(user) + "@" + host
	}
	if _, err := run(t, "", "setup", "--log-level", "warn", "--nats-url", urlOf(deploy.Admin)); err != nil {
		t.Fatal(err)
	}
	sb := mailtest.Sandbox(t, devmail.Config{})
	smtpHost, smtpPort, _ := net.SplitHostPort(sb.SMTPAddr())
	imapHost, imapPort, _ := net.SplitHostPort(sb.IMAPAddr())
	common := []string{"--smtp-host", smtpHost, "--smtp-port", smtpPort, "--smtp-tls", "none",
		"--imap-host", imapHost, "--imap-port", imapPort, "--imap-tls", "none", "--imap-user", "acct-replies@acctflow.localhost",
		"--imap-poll", "200ms", "--aws-sandbox", "--dev-aws-delay", "0s", "--distributor-account-id", "111122223333"}
	t.Setenv("ACCTFLOW_IMAP_PASSWORD", "x")
	t.Setenv("ACCTFLOW_REPLY_KEY", "a-secret-shared-by-every-process")

	api := urlOf(deploy.API.Name)
	startServe(t, t.TempDir(), append([]string{"--nats-url", api, "--handlers", "none"}, common...)...)
	for _, d := range deploy.Handlers {
		startProcess(t, append([]string{"serve", "--nats-url", urlOf(d.Name), "--handlers", d.Name, "--http-addr", "", "--data-dir", t.TempDir()}, common...)...)
	}
	waitConsuming(t, urlOf(deploy.Admin), deploy.Handlers)

	// The request comes from upstream, as `nats pub` publishes it: raw,
	// acknowledged to upstream's own inbox. Ops follow it as reader.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	upstream, err := broker.Connect(ctx, broker.ConnConfig{URL: urlOf(deploy.Upstream.Name)})
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	if _, err := upstream.JS.Publish(ctx, events.SubjectRequested, fixture(t, "account-requested-us.json")); err != nil {
		t.Fatal(err)
	}
	reader := urlOf(deploy.Reader.Name)
	rec := waitStage(t, reader, "REQ-1001", lifecycle.StageAwaitingDetails)
	contact := rec.Request.Reseller.PrimaryContact.Email
	reply := "From: " + contact + "\r\nTo: " + rec.Confirmation.ReplyTo + "\r\nSubject: Re: [REQ-1001]\r\nMessage-ID: <users@fabrikam.example>\r\n\r\n" +
		"Root email: aws-root-harborview@fabrikam.example\r\nAccount nickname: Harborview\r\nSupport type: Business Support\r\n"
	if err := sb.Deliver(context.Background(), contact, []string{rec.Confirmation.ReplyTo}, []byte(reply)); err != nil {
		t.Fatal(err)
	}
	waitStage(t, reader, "REQ-1001", lifecycle.StageDetailsReceived)
	if _, err := run(t, "", "request", "approve", "REQ-1001", "--by", "ops@example.com", "--nats-url", api); err != nil {
		t.Fatal(err)
	}
	rec = waitStage(t, reader, "REQ-1001", lifecycle.StageCreated)
	if _, err := run(t, "", "role", "submit", "REQ-1001", "--role-arn", "arn:aws:iam::"+rec.Account.AccountID+":role/AcctflowAccess", "--nats-url", api); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "", "support", "change", "--request-id", "REQ-1001", "--account-id", rec.Account.AccountID,
		"--from", "business", "--to", "developer", "--nats-url", api); err != nil {
		t.Fatal(err)
	}
	admin, err := broker.Connect(ctx, broker.ConnConfig{URL: urlOf(deploy.Admin)})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	brokertest.CheckFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if _, err := lastOn(admin.JS, events.SubjectTicketCreated); err != nil {
			return fmt.Errorf("%s: %w", events.SubjectTicketCreated, err)
		}
		if r := show(t, reader, "REQ-1001"); r.Role == nil || r.Role.Status == "" {
			return fmt.Errorf("role %+v", r.Role)
		}
		return nil
	})
	if out, err := run(t, "", "watch", "--region", "us", "--all", "--count", "1", "--timeout", "10s", "--nats-url", reader); err != nil || !strings.Contains(out, "REQ-1001") {
		t.Errorf("watch as reader: %v\n%s", err, out)
	}
	if v := violations.List(); len(v) > 0 {
		t.Errorf("permission violations:\n%s", strings.Join(v, "\n"))
	}

	// --nats-inbox-prefix sets where replies come: reader may not take
	// api's.
	if _, err := run(t, "", "request", "show", "REQ-1001", "--nats-url", reader, "--nats-inbox-prefix", broker.Inbox(deploy.API.Name)); err == nil ||
		!strings.Contains(err.Error(), "may not read its replies, sent to "+broker.Inbox(deploy.API.Name)+".>") {
		t.Errorf("request show as reader with api's inbox: %v", err)
	}

	// A handler's user may not serve the API: serve refuses, naming the
	// permission it lacks, instead of retrying.
	root := newRoot()
	root.SetArgs(append([]string{"serve", "--nats-url", urlOf("routing"), "--handlers", "routing", "--http-addr", freeAddr(t), "--data-dir", t.TempDir()}, common...))
	root.SetErr(io.Discard)
	if err := root.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "Permissions Violation") {
		t.Errorf("routing's user serving the API: %v", err)
	}
}

func lastOn(js jetstream.JetStream, subject string) (*jetstream.RawStreamMsg, error) {
	s, err := js.Stream(context.Background(), events.Stream)
	if err != nil {
		return nil, err
	}
	return s.GetLastMsgForSubject(context.Background(), subject)
}

// setup as a user that may not create anything says so at once, instead of
// retrying for two minutes and ending with a timeout.
func TestSetupAsAHandlerUserIsRefusedAtOnce(t *testing.T) {
	for k, v := range deploy.PlaceholderEnv() {
		t.Setenv(k, v)
	}
	srv, _ := brokertest.ServerFromConfig(t, "../../deploy/nats.conf")
	url := "nats://routing:" + deploy.PlaceholderPassword("routing") + "@" + strings.TrimPrefix(srv.ClientURL(), "nats://")
	start := time.Now()
	_, err := run(t, "", "setup", "--log-level", "error", "--nats-url", url)
	if err == nil || !strings.Contains(err.Error(), "admin in deploy/nats.conf") || !strings.Contains(err.Error(), "Permissions Violation") {
		t.Fatalf("setup as routing: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("refused after %s", d)
	}
}

// A handler process with no API (--http-addr "") still serves its probes
// and metrics on --metrics-addr, as its own NATS user and with no
// permission beyond its handler's.
func TestHandlerProcessServesProbesAndMetrics(t *testing.T) {
	for k, v := range deploy.PlaceholderEnv() {
		t.Setenv(k, v)
	}
	srv, violations := brokertest.ServerFromConfig(t, "../../deploy/nats.conf")
	urlOf := func(user string) string {
		return "nats://" + user + ":" + deploy.PlaceholderPassword(user) + "@" + strings.TrimPrefix(srv.ClientURL(), "nats://")
	}
	if _, err := run(t, "", "setup", "--log-level", "warn", "--nats-url", urlOf(deploy.Admin)); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	startProcess(t, "serve", "--nats-url", urlOf("routing"), "--handlers", "routing", "--http-addr", "", "--metrics-addr", addr, "--data-dir", t.TempDir())
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	brokertest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		if code, body := get("/readyz"); code != http.StatusOK {
			return fmt.Errorf("/readyz %d %s", code, body)
		}
		return nil
	})
	if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "acctflow_consumer_info_age_seconds") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("/metrics %d:\n%.400s", code, body)
	}
	if code, body := get("/healthz"); code != http.StatusOK || !strings.Contains(body, `"nats"`) {
		t.Fatalf("/healthz %d %s", code, body)
	}
	if code, _ := get("/v1/requests/REQ-1001"); code != http.StatusNotFound {
		t.Fatalf("the API on the metrics address: %d", code)
	}
	if v := violations.List(); len(v) > 0 {
		t.Errorf("permission violations:\n%s", strings.Join(v, "\n"))
	}
}
