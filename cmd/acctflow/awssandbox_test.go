package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	gomail "github.com/emersion/go-message/mail"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/sandbox/devaws"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// isolateAWS keeps the machine's AWS setup out of serve: every AWS_
// variable emptied, the shared files in an empty directory, IMDS off.
func isolateAWS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "ACCTFLOW_") {
			t.Setenv(k, "")
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

func healthz(t *testing.T, inst instance) map[string]string {
	t.Helper()
	resp, err := http.Get(inst.httpURL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The facts are strings beside the components' states.
	var all map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatalf("/healthz: %v", err)
	}
	h := map[string]string{}
	for k, v := range all {
		if s, ok := v.(string); ok {
			h[k] = s
		}
	}
	return h
}

var externalIDLine = regexp.MustCompile(`(?m)^External ID: (\S+)\s*$`)

// externalIDMailed reads the follow-up email from the mail sandbox's files
// and returns the external id it asks the customer to require.
func externalIDMailed(t *testing.T, dataDir string) string {
	t.Helper()
	var found string
	brokertest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		files, _ := filepath.Glob(filepath.Join(dataDir, "mail", "*", "*", "*.eml"))
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				continue
			}
			r, err := gomail.CreateReader(f)
			for err == nil {
				var p *gomail.Part
				if p, err = r.NextPart(); err != nil {
					break
				}
				h, ok := p.Header.(*gomail.InlineHeader)
				if !ok {
					continue
				}
				if ct, _, _ := h.ContentType(); ct != "text/plain" {
					continue
				}
				b, _ := io.ReadAll(p.Body)
				if m := externalIDLine.FindSubmatch(b); m != nil {
					found = string(m[1])
				}
			}
			f.Close()
			if found != "" {
				return nil
			}
		}
		return errors.New("no follow-up email with an External ID line yet")
	})
	return found
}

// assumeRole calls STS at the AWS sandbox as acctflow does.
func assumeRole(t *testing.T, url, roleARN, externalID string) error {
	t.Helper()
	cfg := sdkaws.Config{Region: devaws.Region, BaseEndpoint: sdkaws.String(url),
		Credentials: sdkaws.CredentialsProviderFunc(func(context.Context) (sdkaws.Credentials, error) {
			return sdkaws.Credentials{AccessKeyID: devaws.AccessKeyID, SecretAccessKey: devaws.SecretAccessKey}, nil
		})}
	c := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Retryer = sdkaws.NopRetryer{} })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: sdkaws.String(roleARN),
		RoleSessionName: sdkaws.String("test"), ExternalId: sdkaws.String(externalID)})
	return err
}

// The README's walkthrough with nothing configured: request → confirmation
// → reply → approve → CreateAccount in the AWS sandbox → follow-up → Role
// ARN → validated; and after a restart the sandbox still knows the account.
func TestServeWalkthroughThroughAWSSandbox(t *testing.T) {
	isolateAWS(t)
	dataDir := t.TempDir()
	smtpAddr := freeAddr(t)
	inst := startServe(t, dataDir, "--dev-smtp", smtpAddr, "--dev-imap", freeAddr(t), "--imap-poll", "200ms", "--dev-aws-delay", "0s")
	h := healthz(t, inst)
	if h["aws"] != "sandbox" || !strings.HasPrefix(h["aws_sandbox"], "http://127.0.0.1:") || h["provisioner"] != "organizations" {
		t.Fatalf("/healthz %v", h)
	}

	if _, err := run(t, string(fixture(t, "account-requested-us.json")), "request", "create", "--file", "-", "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}
	rec := waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageAwaitingDetails)
	contact := rec.Request.Reseller.PrimaryContact.Email
	msg := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: Re: [REQ-1001]\r\nMessage-ID: <walkthrough@fabrikam.example>\r\n\r\n"+
		"Root email: aws-root-harborview@fabrikam.example\r\nAccount nickname: Harborview Dental - Production\r\nSupport type: Business Support\r\n",
		contact, rec.Confirmation.ReplyTo)
	if err := smtp.SendMail(smtpAddr, nil, contact, []string{rec.Confirmation.ReplyTo}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageDetailsReceived)
	if _, err := run(t, "", "request", "approve", "REQ-1001", "--by", "ops@example.com", "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}
	rec = waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageCreated)
	if rec.Account == nil || rec.Account.AccountID != "200000000001" {
		t.Fatalf("account %+v", rec.Account)
	}

	ext := externalIDMailed(t, dataDir)
	role := "arn:aws:iam::200000000001:role/AcctflowAccess"
	if err := assumeRole(t, h["aws_sandbox"], role, ext+"x"); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("a wrong external id: %v", err)
	}
	if _, err := run(t, "", "role", "submit", "REQ-1001", "--role-arn", "arn:aws:iam::200000000001:role/AcctflowDenied", "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}
	brokertest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		if r := show(t, inst.natsURL, "REQ-1001"); r.Role == nil || r.Role.Status != "rejected" {
			return fmt.Errorf("role %+v", r.Role)
		}
		return nil
	})
	if _, err := run(t, "", "role", "submit", "REQ-1001", "--role-arn", role, "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}
	waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageRoleValidated)
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}

	again := startServe(t, dataDir, "--dev-smtp", freeAddr(t), "--dev-imap", freeAddr(t))
	url := healthz(t, again)["aws_sandbox"]
	if err := assumeRole(t, url, role, ext); err != nil {
		t.Fatalf("after a restart the sandbox forgot the account: %v", err)
	}
}

// Any AWS setting keeps the sandbox off and the default provisioner manual.
func TestServeNeverStartsAWSSandboxWhenConfigured(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		conf string
	}{
		{"access key", map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}, ""},
		{"profile", map[string]string{"AWS_PROFILE": "dev"}, "[profile dev]\naws_access_key_id = AKID\naws_secret_access_key = s\n"},
		{"STS endpoint", map[string]string{"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			awsDir := isolateAWS(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if tc.conf != "" {
				if err := os.WriteFile(filepath.Join(awsDir, "config"), []byte(tc.conf), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			dataDir := t.TempDir()
			inst := startServe(t, dataDir, "--handlers", "projection,provisioning,roles", "--dev-smtp", freeAddr(t), "--dev-imap", freeAddr(t))
			if h := healthz(t, inst); h["aws"] != "real" || h["aws_sandbox"] != "" || h["provisioner"] != "manual" {
				t.Fatalf("/healthz %v", h)
			}
			if _, err := os.Stat(filepath.Join(dataDir, "aws")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the sandbox left state behind: %v", err)
			}
		})
	}
}

// --aws-sandbox=false: no AWS access at all, and organizations is refused
// at start-up rather than failing every approval later; an explicit
// --provisioner always wins over the sandbox's default.
func TestAWSSandboxFlag(t *testing.T) {
	isolateAWS(t)
	inst := startServe(t, t.TempDir(), "--handlers", "projection,provisioning,roles", "--aws-sandbox=false",
		"--dev-smtp", freeAddr(t), "--dev-imap", freeAddr(t))
	if h := healthz(t, inst); h["aws"] != "none" || h["provisioner"] != "manual" {
		t.Fatalf("/healthz %v", h)
	}
	_ = inst.stop()

	inst = startServe(t, t.TempDir(), "--handlers", "projection,provisioning,roles", "--provisioner", "manual",
		"--dev-smtp", freeAddr(t), "--dev-imap", freeAddr(t))
	if h := healthz(t, inst); h["aws"] != "sandbox" || h["provisioner"] != "manual" {
		t.Fatalf("/healthz %v", h)
	}
	_ = inst.stop()

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	root := newRoot()
	root.SetErr(io.Discard)
	root.SetArgs([]string{"serve", "--data-dir", t.TempDir(), "--nats-listen", freeAddr(t), "--http-addr", freeAddr(t),
		"--log-level", "error", "--handlers", "provisioning", "--aws-sandbox=false", "--provisioner", "organizations",
		"--dev-smtp", freeAddr(t), "--dev-imap", freeAddr(t)})
	if err := root.ExecuteContext(ctx); err == nil || !strings.Contains(err.Error(), "needs AWS access") {
		t.Fatalf("organizations without AWS access: %v", err)
	}
}

// Beside real mail or a shared NATS, no AWS configuration means no AWS
// access (accounts recorded by hand), never a sandbox creating accounts
// nobody has and mailing their ids to resellers; --aws-sandbox given
// explicitly still starts one. A process on a shared NATS with no SMTP
// server is refused: its private mail sandbox would keep the mail.
func TestAWSSandboxOnlyInTheLocalSetup(t *testing.T) {
	isolateAWS(t)
	sb := mailtest.Sandbox(t, devmail.Config{})
	smtpHost, smtpPort, _ := net.SplitHostPort(sb.SMTPAddr())
	imapHost, imapPort, _ := net.SplitHostPort(sb.IMAPAddr())
	realMail := []string{"--handlers", "projection,provisioning,roles", "--smtp-host", smtpHost, "--smtp-port", smtpPort, "--smtp-tls", "none",
		"--imap-host", imapHost, "--imap-port", imapPort, "--imap-tls", "none", "--imap-user", "acct-replies@acctflow.localhost",
		"--distributor-account-id", "111122223333"}
	t.Setenv("ACCTFLOW_IMAP_PASSWORD", "x")
	inst := startServe(t, t.TempDir(), realMail...)
	if h := healthz(t, inst); h["aws"] != "none" || h["aws_sandbox"] != "" || h["provisioner"] != "manual" {
		t.Fatalf("real mail, no AWS configuration: /healthz %v", h)
	}
	_ = inst.stop()
	inst = startServe(t, t.TempDir(), append(realMail, "--aws-sandbox")...)
	if h := healthz(t, inst); h["aws"] != "sandbox" || h["provisioner"] != "organizations" {
		t.Fatalf("real mail, --aws-sandbox: /healthz %v", h)
	}
	_ = inst.stop()

	shared := startServe(t, t.TempDir(), "--handlers", "projection", "--dev-smtp", freeAddr(t), "--dev-imap", freeAddr(t))
	if _, err := run(t, "", "setup", "--log-level", "warn", "--nats-url", shared.natsURL); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ACCTFLOW_REPLY_KEY", "a-secret-shared-by-every-process")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	root := newRoot()
	root.SetErr(io.Discard)
	root.SetArgs([]string{"serve", "--nats-url", shared.natsURL, "--data-dir", t.TempDir(), "--http-addr", "",
		"--log-level", "error", "--handlers", "confirmation", "--dev-smtp", freeAddr(t), "--dev-imap", freeAddr(t)})
	if err := root.ExecuteContext(ctx); err == nil || !strings.Contains(err.Error(), "--smtp-host is needed with --nats-url") {
		t.Fatalf("shared NATS without an SMTP server: %v", err)
	}
}

// With real mail and no --distributor-account-id, the follow-up and roles
// handlers do not start: every email they send names that account.
func TestFollowupNeedsTheDistributorAccount(t *testing.T) {
	isolateAWS(t)
	sb := mailtest.Sandbox(t, devmail.Config{})
	smtpHost, smtpPort, _ := net.SplitHostPort(sb.SMTPAddr())
	for _, handler := range []string{"followup", "roles"} {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		root := newRoot()
		root.SetErr(io.Discard)
		root.SetArgs([]string{"serve", "--data-dir", t.TempDir(), "--nats-listen", freeAddr(t), "--http-addr", "", "--log-level", "error",
			"--handlers", handler, "--smtp-host", smtpHost, "--smtp-port", smtpPort, "--smtp-tls", "none"})
		err := root.ExecuteContext(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "--distributor-account-id is needed") {
			t.Errorf("%s without --distributor-account-id: %v", handler, err)
		}
	}
}
