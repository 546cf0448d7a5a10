package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/smtp"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/inbox"
)

func runReplyParse(t *testing.T, arg string, stdin []byte) map[string]any {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(bytes.NewReader(stdin))
	root.SetArgs([]string{"reply", "parse", arg})
	if err := root.Execute(); err != nil {
		t.Fatalf("reply parse %s: %v %s", arg, err, errOut.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output of %s is not JSON: %v\n%s", arg, err, out.String())
	}
	return got
}

// Every field of every fixture, as truth.json has it: the shared examples
// and the reply parser's own corpus (languages, clients, shapes).
func TestReplyParseSharedFixtures(t *testing.T) {
	for dir, atLeast := range map[string]int{"../../examples/replies": 12, "../../mailer/reply/testdata/replies": 108} {
		data, err := os.ReadFile(filepath.Join(dir, "truth.json"))
		if err != nil {
			t.Fatalf("fixture truth: %v", err)
		}
		var truth map[string]map[string]any
		if err := json.Unmarshal(data, &truth); err != nil {
			t.Fatal(err)
		}
		if len(truth) < atLeast {
			t.Fatalf("only %d fixtures in %s/truth.json", len(truth), dir)
		}
		for name, want := range truth {
			t.Run(name, func(t *testing.T) {
				got := runReplyParse(t, filepath.Join(dir, name), nil)
				for _, k := range []string{"root_email", "nickname", "support_type", "request_ref", "auto_reply", "complete", "problems"} {
					if _, ok := got[k]; !ok {
						t.Errorf("key %s missing", k)
					}
				}
				if len(got) != 7 {
					t.Errorf("%d keys, want 7: %v", len(got), got)
				}
				for k, v := range want {
					if g, ok := got[k]; !ok || !reflect.DeepEqual(g, v) {
						t.Errorf("%s = %#v, want %#v", k, got[k], v)
					}
				}
				if got["complete"] == true && len(got["problems"].([]any)) != 0 {
					t.Errorf("complete with problems %v", got["problems"])
				}
			})
		}
	}
}

func TestReplyParseStdinAndAutoReply(t *testing.T) {
	raw := "From: jane@northwind.example\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nAway.\r\n"
	got := runReplyParse(t, "-", []byte(raw))
	if got["auto_reply"] != true || got["complete"] != false || got["root_email"] != nil {
		t.Fatalf("got %v", got)
	}
}

func TestReplyParseMissingFile(t *testing.T) {
	root := newRoot()
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	root.SetArgs([]string{"reply", "parse", filepath.Join(t.TempDir(), "nope.eml")})
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "nope.eml") {
		t.Fatalf("err %v", err)
	}
}

func TestParseMailboxes(t *testing.T) {
	base := inbox.Config{Addr: "imap.example:993"}
	got, err := parseMailboxes(base, " acct@x.example , emea@x.example/Support/Replies,", "")
	if err != nil || len(got) != 2 || got[0].Username != "acct@x.example" || got[0].Folder != "" ||
		got[1].Username != "emea@x.example" || got[1].Folder != "Support/Replies" {
		t.Fatalf("%+v %v", got, err)
	}
	if got, err := parseMailboxes(base, "", "me@x.example"); err != nil || len(got) != 1 || got[0].Username != "me@x.example" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := parseMailboxes(base, "", ""); err == nil {
		t.Fatal("no user accepted")
	}
}

// The loop a person drives by hand: serve with the dev sandbox; the
// confirmation goes out; the contact answers over SMTP to the Reply-To;
// the IMAP reader picks the answer up and the request gets its details.
// A reply to a forged token changes nothing; one missing the support type
// is recorded as such.
func TestServeRepliesThroughSandbox(t *testing.T) {
	smtpAddr, imapAddr := freeAddr(t), freeAddr(t)
	inst := startServe(t, t.TempDir(), "--handlers", "routing,projection,confirmation,replies",
		"--dev-smtp", smtpAddr, "--dev-imap", imapAddr, "--imap-poll", "200ms")
	if _, err := run(t, string(fixture(t, "account-requested-us.json")), "request", "create", "--file", "-", "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}
	rec := waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageAwaitingDetails)
	replyTo := rec.Confirmation.ReplyTo
	contact := "dana.whitfield@fabrikam.example"

	send := func(from, to, subject, body string) {
		t.Helper()
		msg := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%d@fabrikam.example>\r\n\r\n%s",
			from, to, subject, time.Now().UnixNano(), strings.ReplaceAll(body, "\n", "\r\n"))
		if err := smtp.SendMail(smtpAddr, nil, from, []string{to}, []byte(msg)); err != nil {
			t.Fatalf("sending reply: %v", err)
		}
	}
	at := strings.LastIndex(replyTo, "@")
	forged := replyTo[:at-1] + flip(replyTo[at-1]) + replyTo[at:]
	send(contact, forged, "Re: [REQ-1001]", "Root email: evil-root@fabrikam.example\nAccount nickname: Evil\nSupport type: Business\n")
	send(contact, replyTo, "Re: [REQ-1001]", "Root email: harbor-root@fabrikam.example\nAccount nickname: Harborview\nSupport type: Developer\n")

	rec = waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageDetailsReceived)
	if d := rec.Details; d == nil || d.RootEmail != "harbor-root@fabrikam.example" || d.Nickname != "Harborview" || d.SupportType != "developer" {
		t.Fatalf("details %+v", rec.Details)
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// ACCTFLOW_IMAP_PASSWORD_DIR gives each mailbox its own password (a file
// named after its user, read at every login); a mailbox without one keeps
// the shared password, and with none at all serve says which is missing.
func TestPasswordsPerMailbox(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "emea@x.example"), []byte("emea-secret-2026\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	boxes := []inbox.Config{{Username: "acct@x.example", Password: "shared"}, {Username: "emea@x.example", Password: "shared"}}
	got, err := passwordsPerMailbox(slices.Clone(boxes), dir)
	if err != nil || got[0].Password != "shared" || got[0].PasswordFile != "" ||
		got[1].Password != "" || got[1].PasswordFile != filepath.Join(dir, "emea@x.example") {
		t.Fatalf("%+v %v", got, err)
	}
	boxes[0].Password = ""
	if _, err := passwordsPerMailbox(slices.Clone(boxes), dir); err == nil || !strings.Contains(err.Error(), "acct@x.example has no password") {
		t.Fatalf("a mailbox with no password at all: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "acct@x.example"), []byte("change-me-imap"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := passwordsPerMailbox(slices.Clone(boxes), dir); err == nil {
		t.Fatal("a placeholder password accepted")
	}
	if got, err := passwordsPerMailbox(slices.Clone(boxes), ""); err != nil || got[0].PasswordFile != "" {
		t.Fatalf("without a dir: %+v %v", got, err)
	}
}
