package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// Processes that share an external broker share the work, so they must
// share the reply key: without one, serve refuses to start and says how to
// set it; with one, a reply read by process B to the email process A sent
// applies.
func TestProcessesShareTheReplyKey(t *testing.T) {
	srv := brokertest.Server(t)
	natsURL := srv.ClientURL()
	if _, err := run(t, "", "setup", "--log-level", "warn", "--nats-url", natsURL); err != nil {
		t.Fatal(err)
	}
	sb := mailtest.Sandbox(t, devmail.Config{})
	smtpHost, smtpPort, _ := net.SplitHostPort(sb.SMTPAddr())
	imapHost, imapPort, _ := net.SplitHostPort(sb.IMAPAddr())
	mailFlags := []string{"--smtp-host", smtpHost, "--smtp-port", smtpPort, "--smtp-tls", "none",
		"--imap-host", imapHost, "--imap-port", imapPort, "--imap-tls", "none", "--imap-user", "acct-replies@acctflow.localhost",
		"--imap-poll", "200ms"}
	t.Setenv("ACCTFLOW_IMAP_PASSWORD", "x")
	t.Setenv("ACCTFLOW_REPLY_KEY", "")

	root := newRoot()
	root.SetArgs(append([]string{"serve", "--nats-url", natsURL, "--handlers", "confirmation", "--http-addr", "", "--data-dir", t.TempDir()}, mailFlags...))
	root.SetErr(io.Discard)
	err := root.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ACCTFLOW_REPLY_KEY") || !strings.Contains(err.Error(), "every acctflow process") {
		t.Fatalf("serve without a reply key on an external broker: %v", err)
	}

	t.Setenv("ACCTFLOW_REPLY_KEY", "a-secret-shared-by-every-process")
	startServe(t, t.TempDir(), append([]string{"--nats-url", natsURL, "--handlers", "routing,projection,confirmation", "--inbox=false"}, mailFlags...)...)
	startServe(t, t.TempDir(), append([]string{"--nats-url", natsURL, "--handlers", "replies"}, mailFlags...)...)
	if _, err := run(t, string(fixture(t, "account-requested-us.json")), "request", "create", "--file", "-", "--nats-url", natsURL); err != nil {
		t.Fatal(err)
	}
	const contact = "dana.whitfield@fabrikam.example"
	var confirmation []byte
	brokertest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		msgs := sb.Messages(contact)
		if len(msgs) == 0 {
			return io.EOF
		}
		confirmation = msgs[0]
		return nil
	})
	h, _ := mailtest.Parts(t, confirmation)
	replyTo, err := h.AddressList("Reply-To")
	if err != nil || len(replyTo) != 1 {
		t.Fatalf("Reply-To %v %v", replyTo, err)
	}
	msgID, _ := h.MessageID()
	reply := "From: Dana Whitfield <" + contact + ">\r\nTo: " + replyTo[0].Address + "\r\nSubject: Re: confirmation\r\n" +
		"In-Reply-To: <" + msgID + ">\r\nMessage-ID: <reply-1@fabrikam.example>\r\n\r\n" +
		"Root email: aws-root-harborview@fabrikam.example\r\nAccount nickname: Harborview\r\nSupport type: Business Support\r\n"
	if err := sb.Deliver(context.Background(), contact, []string{replyTo[0].Address}, []byte(reply)); err != nil {
		t.Fatal(err)
	}
	waitStage(t, natsURL, "REQ-1001", lifecycle.StageDetailsReceived)
}

// A deployment moving from the embedded broker (its key generated in the
// data dir) to ACCTFLOW_REPLY_KEY keeps verifying the generated key: the
// replies to emails already sent still count.
func TestGeneratedReplyKeyKeepsVerifyingAfterTheMove(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ACCTFLOW_REPLY_KEY", "")
	t.Setenv("ACCTFLOW_REPLY_KEY_PREVIOUS", "")
	embedded, err := replyKeys(dir, false, brokertest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ACCTFLOW_REPLY_KEY", "a-secret-shared-by-every-process")
	moved, err := replyKeys(dir, true, brokertest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	if string(moved.Current) != "a-secret-shared-by-every-process" || len(moved.Previous) != 1 || string(moved.Previous[0]) != string(embedded.Current) {
		t.Fatalf("keys after the move: current %q, previous %q; generated %q", moved.Current, moved.Previous, embedded.Current)
	}
	// Listed already, or the same key: not added twice.
	t.Setenv("ACCTFLOW_REPLY_KEY_PREVIOUS", string(embedded.Current))
	if k, err := replyKeys(dir, true, brokertest.Logger(t)); err != nil || len(k.Previous) != 1 {
		t.Fatalf("previous %q %v", k.Previous, err)
	}
}
