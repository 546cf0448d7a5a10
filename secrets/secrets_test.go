package secrets_test

import (
	"strings"
	"testing"

	"github.com/acctflow/acctflow/secrets"
)

func TestCheckRefusesPlaceholders(t *testing.T) {
	for _, v := range []string{
		"change-me-to-a-long-random-secret",
		"change-me-routing",
		"CHANGE-ME",
		"ops:change-me-ops-token,read:change-me-read-token",
		"ops:<long random secret>,read:<another>",
	} {
		err := secrets.Check("ACCTFLOW_REPLY_KEY", v)
		if err == nil {
			t.Errorf("%q accepted", v)
			continue
		}
		for _, want := range []string{"ACCTFLOW_REPLY_KEY", "openssl rand -hex 32"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("refusal of %q does not say %q: %v", v, want, err)
			}
		}
		if strings.Contains(err.Error(), v) && len(v) > len("change-me") {
			t.Errorf("refusal repeats the whole value: %v", err)
		}
	}
	for _, v := range []string{"", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "ops:3b1f,read:77aa"} {
		if err := secrets.Check("X", v); err != nil {
			t.Errorf("%q refused: %v", v, err)
		}
	}
}

func TestRedactURLs(t *testing.T) {
	for in, want := range map[string]string{
		"nats://api:s3cret@nats1:4222":                          "nats://api:xxxxx@nats1:4222",
		"nats://a:p1@n1:4222,nats://b:p2@n2:4222":               "nats://a:xxxxx@n1:4222,nats://b:xxxxx@n2:4222",
		"connecting to NATS at nats://tok3n@n1:4222: no server": "connecting to NATS at nats://xxxxx@n1:4222: no server",
		`parse "https://u:p%zz@desk.example": invalid`:          `parse "https://xxxxx@desk.example": invalid`,
		"nats://u:p@ss@host:4222":                               "nats://u:xxxxx@host:4222",
		"nats://n1:4222,https://desk.example/api?x=a@b.example": "nats://n1:4222,https://desk.example/api?x=a@b.example",
		"no url here, mail jane@x.example":                      "no url here, mail jane@x.example",
	} {
		got := secrets.RedactURLs(in)
		if got != want {
			t.Errorf("RedactURLs(%q) = %q, want %q", in, got, want)
		}
		for _, leak := range []string{"s3cret", "p1", "p2", "tok3n", "p%zz", "p@ss"} {
			if strings.Contains(got, leak) {
				t.Errorf("RedactURLs(%q) leaks %q: %q", in, leak, got)
			}
		}
	}
}
