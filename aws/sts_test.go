package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/retry"
	"github.com/acctflow/acctflow/sandbox/devaws"
)

const (
	customerAccount = "222233334444"
	customerRole    = "arn:aws:iam::" + customerAccount + ":role/partners/AcctflowAccess"
	externalID      = "acctflow-REQ-1001-x7Qp"
)

func TestValidateRoleReturnsAssumedIdentity(t *testing.T) {
	f, _, s := newFake(t)
	f.AddRole(customerRole, externalID)
	arn, err := s.ValidateRole(testCtx(t), customerRole, externalID)
	if err != nil {
		t.Fatal(err)
	}
	// Only credentials issued by AssumeRole make the fake answer with the
	// assumed role; acctflow's own key would give the management user.
	if want := "arn:aws:sts::" + customerAccount + ":assumed-role/AcctflowAccess/" + SessionName; arn != want {
		t.Fatalf("caller ARN %q, want %q", arn, want)
	}
	reqs := f.AssumeRoleRequests()
	if len(reqs) != 1 || reqs[0].RoleARN != customerRole || reqs[0].ExternalID != externalID ||
		reqs[0].SessionName != SessionName || reqs[0].DurationSeconds != 900 || !reqs[0].Granted {
		t.Fatalf("AssumeRole received %+v", reqs)
	}
	if f.Calls("GetCallerIdentity") != 1 {
		t.Fatalf("GetCallerIdentity calls = %d", f.Calls("GetCallerIdentity"))
	}
}

func TestValidateRoleWrongExternalIDRejected(t *testing.T) {
	f, _, s := newFake(t)
	f.AddRole(customerRole, externalID)
	_, err := s.ValidateRole(testCtx(t), customerRole, "someone-elses-id")
	rej := mustRejected(t, err, RejectAssumeRoleDenied)
	for _, want := range []string{
		"trust policy", "account " + devaws.ManagementAccount, "arn:aws:iam::" + devaws.ManagementAccount + ":root",
		`"someone-elses-id"`, "sts:ExternalId", customerRole,
	} {
		if !strings.Contains(rej.Reason, want) {
			t.Errorf("reason lacks %q: %s", want, rej.Reason)
		}
	}
	if f.Calls("GetCallerIdentity") != 1 {
		t.Fatalf("want one GetCallerIdentity (our own account, for the message), got %d", f.Calls("GetCallerIdentity"))
	}
	// The account lookup is cached.
	_, err = s.ValidateRole(testCtx(t), customerRole, "someone-elses-id")
	mustRejected(t, err, RejectAssumeRoleDenied)
	if f.Calls("GetCallerIdentity") != 1 {
		t.Fatalf("account lookup not cached: %d calls", f.Calls("GetCallerIdentity"))
	}
}

func TestValidateRoleUnknownRoleRejected(t *testing.T) {
	_, _, s := newFake(t)
	_, err := s.ValidateRole(testCtx(t), customerRole, externalID)
	rej := mustRejected(t, err, RejectAssumeRoleDenied)
	if !strings.Contains(rej.Reason, "role exists") {
		t.Fatalf("reason: %s", rej.Reason)
	}
}

func TestRoleOfAnotherAccountRejectedWithoutAWSCall(t *testing.T) {
	f, _, _ := newFake(t)
	f.AddRole(customerRole, externalID)
	role, err := ParseRoleARN(customerRole)
	if err != nil {
		t.Fatal(err)
	}
	rej := mustRejected(t, role.CheckAccount("999988887777"), RejectRoleAccount)
	if !strings.Contains(rej.Reason, "999988887777") {
		t.Fatalf("reason: %s", rej.Reason)
	}
	if n := f.Calls("AssumeRole"); n != 0 {
		t.Fatalf("%d AssumeRole calls", n)
	}
}

func TestValidateRoleMalformedInputNoCall(t *testing.T) {
	f, _, s := newFake(t)
	_, err := s.ValidateRole(testCtx(t), "arn:aws:iam::22223333444:role/x", externalID)
	mustRejected(t, err, RejectInvalidRoleARN)
	_, err = s.ValidateRole(testCtx(t), customerRole, "x")
	mustPermanent(t, err)
	_, err = s.ValidateRole(testCtx(t), customerRole, "has space")
	mustPermanent(t, err)
	if n := f.Calls("AssumeRole"); n != 0 {
		t.Fatalf("%d AssumeRole calls", n)
	}
}

func TestValidateRoleTemporaryFaultsRetried(t *testing.T) {
	for _, code := range []string{"ThrottlingException", "500", devaws.Reset} {
		t.Run(code, func(t *testing.T) {
			f, _, s := newFake(t)
			f.AddRole(customerRole, externalID)
			ctx := testCtx(t)
			f.FailNext(1, code)
			_, err := s.ValidateRole(ctx, customerRole, externalID)
			mustTemporary(t, err)

			f.FailNext(2, code)
			var arn string
			err = retry.Do(ctx, fast, func(ctx context.Context) error {
				var err error
				arn, err = s.ValidateRole(ctx, customerRole, externalID)
				return err
			})
			if err != nil || !strings.Contains(arn, ":assumed-role/AcctflowAccess/") {
				t.Fatalf("under retry.Do: %q, %v", arn, err)
			}
		})
	}
}

func TestValidateRoleRefusedCredentialsNotRejection(t *testing.T) {
	f := devaws.NewServer()
	t.Cleanup(f.Close)
	f.AddRole(customerRole, externalID)
	s := NewSTS(f.ConfigWithCredentials(devaws.AccessKeyID, "wrong"))
	_, err := s.ValidateRole(testCtx(t), customerRole, externalID)
	mustPermanent(t, err)
	if !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("error: %v", err)
	}
	var rej *RejectedError
	if asRejected(err, &rej) {
		t.Fatalf("our own bad credentials must not blame the reseller: %v", err)
	}
}
