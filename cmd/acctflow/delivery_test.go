package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/mailer/smtptest"
	"github.com/acctflow/acctflow/mailer/tlstest"
)

// These tests run `acctflow serve` against an SMTP server configured like a
// real submission service: a private CA, STARTTLS, SASL PLAIN, Postfix's
// reject_non_fqdn_helo_hostname.

const mailFrom = "Account Provisioning <provisioning@acctflow.test>"

func usRequest(id, contact string) string {
	return fmt.Sprintf(`{"request_id":%q,"provider":"aws",
 "reseller":{"id":"R-100","name":"Northwind IT","country":"US","primary_contact":{"name":"Jane Doe","email":%q}},
 "customer":{"id":"C-200","name":"Acme Corp"},
 "pricebook":{"present":true,"invoice_currency":"USD","provider_enabled_in_portal":true}}`, id, contact)
}

func createRequest(t *testing.T, natsURL, id, contact string) {
	t.Helper()
	if out, err := run(t, usRequest(id, contact), "request", "create", "--file", "-", "--nats-url", natsURL); err != nil || strings.TrimSpace(out) != id {
		t.Fatalf("request create %s: %q %v", id, out, err)
	}
}

func mailServe(t *testing.T, dir string, srv *smtptest.Submission, caFile string, extra ...string) instance {
	t.Helper()
	args := append([]string{"--handlers", "routing,projection,confirmation", "--inbox=false",
		"--smtp-host", srv.Host, "--smtp-port", strconv.Itoa(srv.Port), "--smtp-user", "acctflow", "--smtp-ca", caFile,
		"--mail-from", mailFrom, "--circuit-probe-interval", "200ms"}, extra...)
	return startServe(t, dir, args...)
}

func natsConn(t *testing.T, url string) *broker.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := broker.Connect(ctx, broker.ConnConfig{URL: url, Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.NC.Close() })
	return c
}

type probeBody struct {
	Status     string `json:"status"`
	Ready      bool   `json:"ready"`
	Error      string `json:"error"`
	Components []struct {
		Name, Kind, State, Reason string
		Ready                     bool
	} `json:"components"`
}

func probe(t *testing.T, url string) (int, probeBody) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var b probeBody
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatalf("%s: %v\n%s", url, err, data)
	}
	return resp.StatusCode, b
}

// recipients counts accepted messages per recipient and checks that no
// Message-ID was accepted twice.
func recipients(t *testing.T, srv *smtptest.Submission) map[string]int {
	t.Helper()
	out := map[string]int{}
	ids := map[string]bool{}
	for _, m := range srv.Messages() {
		h, _ := mailtest.Parts(t, m.Data)
		id := h.Get("Message-Id")
		if ids[id] {
			t.Fatalf("Message-ID %s delivered twice", id)
		}
		ids[id] = true
		for _, to := range m.To {
			out[strings.ToLower(to)]++
		}
	}
	return out
}

func waitMessages(t *testing.T, srv *smtptest.Submission, n int) {
	t.Helper()
	brokertest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		if got := len(srv.Messages()); got != n {
			return fmt.Errorf("%d messages delivered, want %d", got, n)
		}
		return nil
	})
}

// The mail admin rotates acctflow's password on the server; for a while
// acctflow has the old one (535). The SMTP circuit opens, /readyz says why,
// nothing is dead-lettered, and once the new password is in
// ACCTFLOW_SMTP_PASSWORD_FILE every waiting confirmation goes out exactly
// once, without a restart.
func TestPasswordRotationLosesNoEmail(t *testing.T) {
	ca := tlstest.NewCA(t, "Acme Internal CA")
	srv := smtptest.StartSubmission(t, smtptest.SubmissionConfig{
		Cert: ca.Issue(t, "127.0.0.1"), User: "acctflow", Password: "old-password", RequireFQDNHelo: true,
	})
	pwFile := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pwFile, []byte("old-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ACCTFLOW_SMTP_PASSWORD_FILE", pwFile)
	inst := mailServe(t, t.TempDir(), srv, ca.File(t))
	conn := natsConn(t, inst.natsURL)

	createRequest(t, inst.natsURL, "REQ-ROT-1", "jane@northwind.example")
	waitMessages(t, srv, 1)

	srv.SetPassword("new-password") // acctflow still has the old one
	for i := 2; i <= 4; i++ {
		createRequest(t, inst.natsURL, fmt.Sprintf("REQ-ROT-%d", i), fmt.Sprintf("contact%d@northwind.example", i))
	}
	brokertest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		code, b := probe(t, inst.httpURL+"/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(b.Error, "smtp") || !strings.Contains(b.Error, "535") {
			return fmt.Errorf("readyz %d %+v", code, b)
		}
		return nil
	})
	if code, b := probe(t, inst.httpURL+"/healthz"); code != http.StatusOK || b.Ready || len(b.Components) < 2 {
		t.Fatalf("healthz %d %+v", code, b)
	}
	// Every waiting request hears that its email is blocked, once.
	brokertest.WaitCount(t, conn, events.SubjectEffectFailed, 3)
	failuresDuring := srv.AuthFailures()
	if n := brokertest.Count(t, conn, "dlq.>"); n != 0 {
		t.Fatalf("%d dead letters for a wrong password", n)
	}

	// The fix: the new password in the file acctflow reads.
	if err := os.WriteFile(pwFile, []byte("new-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitMessages(t, srv, 4)
	brokertest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		if code, b := probe(t, inst.httpURL+"/readyz"); code != http.StatusOK {
			return fmt.Errorf("readyz %d %+v", code, b)
		}
		return nil
	})
	brokertest.WaitCount(t, conn, events.SubjectConfirmationSent, 4)
	brokertest.WaitIdle(t, conn, "confirmation")
	got := recipients(t, srv)
	for _, to := range []string{"jane@northwind.example", "contact2@northwind.example", "contact3@northwind.example", "contact4@northwind.example"} {
		if got[to] != 1 {
			t.Fatalf("%s got %d confirmations, want 1 (all: %v)", to, got[to], got)
		}
	}
	for _, ev := range brokertest.Messages(t, conn, events.SubjectEffectFailed) {
		var ef events.EffectFailed
		if err := json.Unmarshal(ev.Data(), &ef); err != nil || ef.Outcome != events.OutcomeBlocked || ef.Effect != events.EffectEmail || !strings.Contains(ef.Error, "535") {
			t.Fatalf("effect.failed %s (%v)", ev.Data(), err)
		}
	}
	if n := brokertest.Count(t, conn, events.SubjectEffectFailed); n != 3 {
		t.Fatalf("%d effect.failed events, want one per blocked request", n)
	}
	if n := brokertest.Count(t, conn, "dlq.>"); n != 0 {
		t.Fatalf("%d dead letters", n)
	}
	t.Logf("SMTP: %d connections in all, %d logins refused while the password was wrong (three emails waiting, probes every 200ms)",
		srv.Connections(), failuresDuring)
}

// A confirmation to an address the server does not know is dead-lettered
// (550), recorded on its request, listed by `acctflow dlq list`, and once
// the mailbox exists `acctflow dlq replay` sends it exactly once.
func TestDeadLetteredConfirmationIsReplayedOnce(t *testing.T) {
	ca := tlstest.NewCA(t, "Acme Internal CA")
	var mailboxExists atomic.Bool
	srv := smtptest.StartSubmission(t, smtptest.SubmissionConfig{
		Cert: ca.Issue(t, "127.0.0.1"), User: "acctflow", Password: "s3cret",
		RejectRcpt: func(to string) *smtp.SMTPError {
			if strings.EqualFold(to, "new.contact@fabrikam.example") && !mailboxExists.Load() {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
					Message: "<new.contact@fabrikam.example>: Recipient address rejected: User unknown in virtual mailbox table"}
			}
			return nil
		},
	})
	t.Setenv("ACCTFLOW_SMTP_PASSWORD", "s3cret")
	inst := mailServe(t, t.TempDir(), srv, ca.File(t))
	conn := natsConn(t, inst.natsURL)

	createRequest(t, inst.natsURL, "REQ-550", "new.contact@fabrikam.example")
	brokertest.WaitCount(t, conn, "dlq.>", 1)
	out, err := run(t, "", "dlq", "list", "--json", "--nats-url", inst.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Seq       uint64 `json:"seq"`
		Subject   string `json:"subject"`
		Handler   string `json:"handler"`
		Error     string `json:"error"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("dlq list: %v\n%s", err, out)
	}
	dl := list[0]
	if dl.Handler != "confirmation" || dl.Subject != "acct.routed.us" || dl.RequestID != "REQ-550" || !strings.Contains(dl.Error, "550") ||
		strings.Contains(dl.Error, "new.contact@") {
		t.Fatalf("dead letter %+v", dl)
	}
	if out, err := run(t, "", "dlq", "list", "--subject", "acct.routed.*", "--nats-url", inst.natsURL); err != nil || !strings.Contains(out, "REQ-550") {
		t.Fatalf("dlq list --subject: %v\n%s", err, out)
	}
	if out, err := run(t, "", "dlq", "show", strconv.FormatUint(dl.Seq, 10), "--nats-url", inst.natsURL); err != nil || !strings.Contains(out, `"request_id": "REQ-550"`) {
		t.Fatalf("dlq show: %v\n%s", err, out)
	}
	// The failure is on the request's stream: effect, the server's words,
	// the dead letter.
	brokertest.WaitCount(t, conn, events.SubjectEffectFailed, 1)
	var ef events.EffectFailed
	_ = json.Unmarshal(brokertest.Messages(t, conn, events.SubjectEffectFailed)[0].Data(), &ef)
	if ef.RequestID != "REQ-550" || ef.Outcome != events.OutcomeDeadLettered || ef.DLQSeq != dl.Seq || ef.Kind != "confirmation" || !strings.Contains(ef.Error, "User unknown") {
		t.Fatalf("effect.failed %+v", ef)
	}
	if code, _ := probe(t, inst.httpURL+"/readyz"); code != http.StatusOK {
		t.Fatalf("a 550 made acctflow not ready (%d)", code)
	}

	mailboxExists.Store(true) // the mail admin creates the mailbox
	out, err = run(t, "", "dlq", "replay", strconv.FormatUint(dl.Seq, 10), "--nats-url", inst.natsURL)
	if err != nil || !strings.Contains(out, "replayed") {
		t.Fatalf("dlq replay: %v\n%s", err, out)
	}
	waitMessages(t, srv, 1)
	brokertest.WaitCount(t, conn, events.SubjectConfirmationSent, 1)
	brokertest.WaitIdle(t, conn, "confirmation")
	if _, err := run(t, "", "dlq", "replay", strconv.FormatUint(dl.Seq, 10), "--nats-url", inst.natsURL); err == nil {
		t.Fatal("the same dead letter replayed twice")
	}
	if out, err := run(t, "", "dlq", "replay", "--all", "--nats-url", inst.natsURL); err != nil || !strings.Contains(out, "0 dead letters replayed") {
		t.Fatalf("dlq replay --all: %v\n%s", err, out)
	}
	resp, err := http.Get(inst.httpURL + "/v1/dlq")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"count": 0`) {
		t.Fatalf("GET /v1/dlq: %d %s", resp.StatusCode, body)
	}
	if got := recipients(t, srv); got["new.contact@fabrikam.example"] != 1 {
		t.Fatalf("after the replay: %v", got)
	}
}

// Postfix answers 504 to a HELO name that is not fully qualified: acctflow
// waits behind the circuit instead of dead-lettering, and with the default
// HELO (the domain of --mail-from) the waiting confirmation goes out once.
func TestRejectedHELOWaitsForTheFix(t *testing.T) {
	ca := tlstest.NewCA(t, "Acme Internal CA")
	srv := smtptest.StartSubmission(t, smtptest.SubmissionConfig{
		Cert: ca.Issue(t, "127.0.0.1"), User: "acctflow", Password: "s3cret", RequireFQDNHelo: true,
	})
	t.Setenv("ACCTFLOW_SMTP_PASSWORD", "s3cret")
	dir, caFile := t.TempDir(), ca.File(t)
	inst := mailServe(t, dir, srv, caFile, "--smtp-helo", "vm")
	createRequest(t, inst.natsURL, "REQ-HELO", "jane@northwind.example")
	brokertest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		code, b := probe(t, inst.httpURL+"/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(b.Error, "504") {
			return fmt.Errorf("readyz %d %+v", code, b)
		}
		return nil
	})
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
	fixed := mailServe(t, dir, srv, caFile) // default HELO: acctflow.test
	waitMessages(t, srv, 1)
	conn := natsConn(t, fixed.natsURL)
	brokertest.WaitCount(t, conn, events.SubjectConfirmationSent, 1)
	brokertest.WaitIdle(t, conn, "confirmation")
	if n := brokertest.Count(t, conn, "dlq.>"); n != 0 {
		t.Fatalf("%d dead letters for a rejected HELO", n)
	}
	if got := recipients(t, srv); got["jane@northwind.example"] != 1 {
		t.Fatalf("%v", got)
	}
	if helos := srv.HELOs(); helos[len(helos)-1] != "acctflow.test" {
		t.Fatalf("HELO %v", helos)
	}
}
