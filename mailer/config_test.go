package mailer

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	cases := []struct {
		in       Config
		port     int
		implicit bool
		policy   string
	}{
		{Config{Host: "smtp.example", From: testFrom}, 587, false, TLSMandatory},
		{Config{Host: "smtp.example", From: testFrom, Port: 465}, 465, true, TLSMandatory},
		{Config{Host: "smtp.example", From: testFrom, ImplicitTLS: true}, 465, true, TLSMandatory},
		{Config{Host: "smtp.example", From: testFrom, Port: 2525, TLSPolicy: " None "}, 2525, false, TLSNone},
		{Config{Host: "smtp.example", From: testFrom, Port: 25, TLSPolicy: "Opportunistic"}, 25, false, TLSOpportunistic},
	}
	for _, c := range cases {
		cfg := c.in
		if _, err := cfg.normalise(); err != nil {
			t.Fatalf("%v: %v", c.in, err)
		}
		if cfg.Port != c.port || cfg.ImplicitTLS != c.implicit || cfg.TLSPolicy != c.policy || cfg.Timeout != DefaultTimeout {
			t.Errorf("%v normalised to %v", c.in, cfg)
		}
	}
}

func TestConfigRejects(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no host":             {From: testFrom},
		"host with CRLF":      {Host: "smtp.example\r\nX", From: testFrom},
		"bad port":            {Host: "h", Port: 70000, From: testFrom},
		"bad policy":          {Host: "h", From: testFrom, TLSPolicy: "sometimes"},
		"465 without TLS":     {Host: "h", From: testFrom, Port: 465, TLSPolicy: TLSNone},
		"implicit without":    {Host: "h", From: testFrom, ImplicitTLS: true, TLSPolicy: TLSNone},
		"password, no user":   {Host: "h", From: testFrom, Password: "x"},
		"negative timeout":    {Host: "h", From: testFrom, Timeout: -time.Second},
		"no from":             {Host: "h"},
		"from not an address": {Host: "h", From: "provisioning"},
		"from with CRLF":      {Host: "h", From: "a@b.example\r\nBcc: c@d.example"},
	} {
		if _, err := NewSender(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestConfigNeverPrintsThePassword(t *testing.T) {
	cfg := Config{Host: "smtp.example", Username: "u", Password: "hunter2-secret", From: testFrom}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("password printed: %s", s)
		}
	}
}
