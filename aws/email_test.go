package aws

import (
	"errors"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/retry"
)

func TestCheckEmail(t *testing.T) {
	for _, ok := range []string{"aws-root@acme.example", "a+b.c@mail.acme.example", "x_y@a-b.example"} {
		if err := CheckEmail(ok); err != nil {
			t.Errorf("CheckEmail(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", "a@b.c", strings.Repeat("a", 60) + "@acme.example", "no-at.example", "two@@acme.example",
		"a@b@acme.example", ".dot@acme.example", "semi;colon@acme.example", "per%cent@acme.example",
		"root@localhost", "root@-acme.example", "root@acme.example.", "root@ac_me.example",
		"rööt@acme.example", "ro ot@acme.example", "root@acme.example\r\nBcc: x@evil.example",
	} {
		err := CheckEmail(bad)
		var rej *RejectedError
		if !errors.As(err, &rej) || rej.Code != RejectInvalidEmail || !retry.IsPermanent(err) {
			t.Errorf("CheckEmail(%q) = %v, want a permanent %s rejection", bad, err, RejectInvalidEmail)
		}
	}
}
