package aws

import (
	"errors"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/retry"
)

func TestParseRoleARN(t *testing.T) {
	name64 := strings.Repeat("a", 64)
	ok := []struct {
		in   string
		want RoleARN
	}{
		{"arn:aws:iam::123456789012:role/AcctflowAccess", RoleARN{"123456789012", "/", "AcctflowAccess"}},
		{"  arn:aws:iam::123456789012:role/x\r\n", RoleARN{"123456789012", "/", "x"}},
		{"arn:aws:iam::123456789012:role/division_abc/subdivision_xyz/Role+=,.@_-1", RoleARN{"123456789012", "/division_abc/subdivision_xyz/", "Role+=,.@_-1"}},
		{"arn:aws:iam::123456789012:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport", RoleARN{"123456789012", "/aws-service-role/support.amazonaws.com/", "AWSServiceRoleForSupport"}},
		{"arn:aws:iam::000000000000:role/" + name64, RoleARN{"000000000000", "/", name64}},
	}
	for _, c := range ok {
		got, err := ParseRoleARN(c.in)
		if err != nil {
			t.Errorf("ParseRoleARN(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseRoleARN(%q) = %+v, want %+v", c.in, got, c.want)
		}
		if again, err := ParseRoleARN(got.String()); err != nil || again != got {
			t.Errorf("round trip of %q: %+v, %v", c.in, again, err)
		}
	}

	bad := []struct{ in, mentions string }{
		{"", "empty"},
		{"AcctflowAccess", "form"},
		{"arn:aws:iam::123456789012", "form"},
		{"arn:aws-cn:iam::123456789012:role/x", "partition"},
		{"arn:aws-us-gov:iam::123456789012:role/x", "partition"},
		{"arn:aws:sts::123456789012:role/x", "service"},
		{"arn:aws:s3:::bucket/role/x", "service"},
		{"arn:aws:iam:us-east-1:123456789012:role/x", "region"},
		{"arn:aws:iam::12345678901:role/x", "12 digits"},
		{"arn:aws:iam::1234567890123:role/x", "12 digits"},
		{"arn:aws:iam::12345678901a:role/x", "12 digits"},
		{"arn:aws:iam::123456789012:user/x", "not a role"},
		{"arn:aws:iam::123456789012:role/", "1 to 64"},
		{"arn:aws:iam::123456789012:role/path/", "1 to 64"},
		{"arn:aws:iam::123456789012:role/" + name64 + "b", "1 to 64"},
		{"arn:aws:iam::123456789012:role/bad name", "letters, digits"},
		{"arn:aws:iam::123456789012:role/bad*name", "letters, digits"},
		{"arn:aws:iam::123456789012:role/bad:name", "letters, digits"},
		{"arn:aws:iam::123456789012:role/Café", "letters, digits"},
		{"arn:aws:iam::123456789012:role/pa th/x", "path"},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("p/", 300) + "x", "path"},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("x", 3000), "longer than"},
	}
	for _, c := range bad {
		_, err := ParseRoleARN(c.in)
		var rej *RejectedError
		if !errors.As(err, &rej) || rej.Code != RejectInvalidRoleARN || !retry.IsPermanent(err) {
			t.Errorf("ParseRoleARN(%q) = %v, want a permanent %s rejection", c.in, err, RejectInvalidRoleARN)
			continue
		}
		if !strings.Contains(rej.Reason, c.mentions) || len(rej.Reason) > 600 {
			t.Errorf("ParseRoleARN(%q): reason %q should mention %q and stay short", c.in, rej.Reason, c.mentions)
		}
	}
}

func TestCheckAccount(t *testing.T) {
	r, err := ParseRoleARN("arn:aws:iam::123456789012:role/x")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CheckAccount("123456789012"); err != nil {
		t.Fatalf("same account: %v", err)
	}
	err = r.CheckAccount("210987654321")
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.Code != RejectRoleAccount || !retry.IsPermanent(err) ||
		!strings.Contains(rej.Reason, "210987654321") || !strings.Contains(rej.Reason, "123456789012") {
		t.Fatalf("other account: %v", err)
	}
	if err := r.CheckAccount("not-an-id"); err == nil || errors.As(err, &rej) || !retry.IsPermanent(err) {
		t.Fatalf("broken expected id must be a permanent non-rejection error, got %v", err)
	}
}

func FuzzParseRoleARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:iam::123456789012:role/x", "arn:aws:iam::123456789012:role/a/b/c", "arn:aws:iam::123456789012:role//x",
		"arn:aws:iam:::role/x", "arn:::::", "arn:aws:iam::123456789012:role/\x00", "arn:aws:iam::123456789012:role/é",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRoleARN(s)
		if err != nil {
			var rej *RejectedError
			if !errors.As(err, &rej) || len(rej.Reason) > 600 {
				t.Fatalf("error %v is not a short rejection", err)
			}
			return
		}
		if !isDigits(r.AccountID, 12) || !isRoleName(r.Name) || r.Name == "" || !strings.HasPrefix(r.Path, "/") || !strings.HasSuffix(r.Path, "/") {
			t.Fatalf("accepted %q as %+v", s, r)
		}
		if again, err := ParseRoleARN(r.String()); err != nil || again != r {
			t.Fatalf("round trip of %q: %+v, %v", s, again, err)
		}
	})
}
