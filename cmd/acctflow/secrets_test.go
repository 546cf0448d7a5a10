package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serve refuses every secret that is still a documented placeholder, naming
// the variable and how to make a real one, whether it comes from the
// variable or from its _FILE twin.
func TestServeRefusesPlaceholderSecrets(t *testing.T) {
	mail := []string{"--smtp-host", "127.0.0.1", "--smtp-port", "1", "--smtp-tls", "none", "--smtp-user", "u",
		"--imap-host", "127.0.0.1", "--imap-port", "1", "--imap-tls", "none", "--imap-user", "u"}
	for _, tc := range []struct {
		env, value string
		args       []string
	}{
		{"ACCTFLOW_REPLY_KEY", "change-me-to-a-long-random-secret", nil},
		{"ACCTFLOW_REPLY_KEY_PREVIOUS", "change-me-old-key-of-32-characters", nil},
		{"ACCTFLOW_API_TOKENS", "ops:change-me-ops-token,read:change-me-read-token", []string{"--http-addr", "127.0.0.1:0"}},
		{"ACCTFLOW_API_TOKENS", "ops:<long random secret>,read:<another>", []string{"--http-addr", "127.0.0.1:0"}},
		{"ACCTFLOW_NATS_PASSWORD", "change-me-api", []string{"--nats-url", "nats://127.0.0.1:1", "--nats-user", "api"}},
		{"ACCTFLOW_SMTP_PASSWORD", "change-me-smtp", mail},
		{"ACCTFLOW_IMAP_PASSWORD", "change-me-imap", mail},
		{"ACCTFLOW_FRESHDESK_API_KEY", "change-me-freshdesk", []string{"--freshdesk-url", "https://desk.example"}},
		{"ACCTFLOW_DEV_MAIL_PASSWORD", "change-me-dev-mail", []string{"--dev-smtp", "127.0.0.1:0", "--dev-imap", "127.0.0.1:0"}},
	} {
		for _, viaFile := range []bool{false, true} {
			name := tc.env
			if viaFile {
				name += "_FILE"
			}
			t.Run(name+"="+tc.value, func(t *testing.T) {
				for _, v := range []string{"ACCTFLOW_REPLY_KEY", "ACCTFLOW_SMTP_PASSWORD", "ACCTFLOW_IMAP_PASSWORD", "ACCTFLOW_API_TOKENS"} {
					t.Setenv(v, "")
				}
				if viaFile {
					path := filepath.Join(t.TempDir(), "secret")
					if err := os.WriteFile(path, []byte(tc.value+"\n"), 0o600); err != nil {
						t.Fatal(err)
					}
					t.Setenv(tc.env, "")
					t.Setenv(tc.env+"_FILE", path)
				} else {
					t.Setenv(tc.env, tc.value)
				}
				dir := t.TempDir()
				root := newRoot()
				root.SetArgs(append([]string{"serve", "--data-dir", dir, "--nats-listen", "127.0.0.1:0", "--http-addr", "",
					"--log-level", "error"}, tc.args...))
				root.SetErr(io.Discard)
				root.SetOut(io.Discard)
				// Refused within seconds; one that starts serves until it is
				// cancelled (as by SIGTERM: serve expects Canceled, not a deadline).
				ctx, cancel := context.WithCancel(context.Background())
				defer time.AfterFunc(30*time.Second, cancel).Stop()
				err := root.ExecuteContext(ctx)
				if err == nil {
					t.Fatal("serve accepted a placeholder")
				}
				for _, want := range []string{tc.env, "placeholder", "openssl rand -hex 32"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("the refusal does not say %q: %v", want, err)
					}
				}
			})
		}
	}
}

// The sandbox's password has no flag of its own (a flag shows in ps and
// shell history): it comes from ACCTFLOW_DEV_MAIL_PASSWORD or a file.
func TestDevMailPasswordFromEnvironmentOrFile(t *testing.T) {
	for _, cmd := range []string{"serve", "devmail"} {
		root := newRoot()
		c, _, err := root.Find([]string{cmd})
		if err != nil {
			t.Fatal(err)
		}
		if c.Flags().Lookup("dev-mail-password") != nil {
			t.Errorf("%s still has --dev-mail-password", cmd)
		}
		f := c.Flags()
		t.Setenv("ACCTFLOW_DEV_MAIL_PASSWORD", "from-the-environment")
		if pw, err := devMailPassword(f); err != nil || pw != "from-the-environment" {
			t.Errorf("%s: %q, %v", cmd, pw, err)
		}
		path := filepath.Join(t.TempDir(), "pw")
		if err := os.WriteFile(path, []byte("from-a-file\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := f.Set("dev-mail-password-file", path); err != nil {
			t.Fatal(err)
		}
		if pw, err := devMailPassword(f); err != nil || pw != "from-a-file" {
			t.Errorf("%s: --dev-mail-password-file gave %q, %v", cmd, pw, err)
		}
	}
}

// A command's error never shows the password or token of a URL it quotes.
func TestPrintedErrorsRedactURLs(t *testing.T) {
	var out strings.Builder
	printError(&out, fmt.Errorf("opening KV requests on %s: timeout", "nats://api:hunter2-pw@n1:4222,nats://tok3n@n2:4222"))
	if strings.Contains(out.String(), "hunter2") || strings.Contains(out.String(), "tok3n") || !strings.Contains(out.String(), "n1:4222") {
		t.Errorf("printed %q", out.String())
	}
}
