package aws

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/retry"
	"github.com/acctflow/acctflow/sandbox/devaws"
)

// Each retryable fault is temporary on its own and gone under retry.Do, with
// exactly one account creation in the end.
func TestCreateAccountTemporaryFaultsRetried(t *testing.T) {
	for _, code := range []string{"ConcurrentModificationException", "TooManyRequestsException", "ThrottlingException", "500", "503", devaws.Reset} {
		t.Run(code, func(t *testing.T) {
			f, orgs, _ := newFake(t)
			ctx := testCtx(t)
			f.FailNext(1, code)
			_, err := orgs.CreateAccount(ctx, sampleInput)
			mustTemporary(t, err)
			if !strings.Contains(err.Error(), "creating AWS account") {
				t.Fatalf("error does not say what was done: %v", err)
			}

			f.FailNext(2, code)
			var id string
			err = retry.Do(ctx, fast, func(ctx context.Context) error {
				var err error
				id, err = orgs.CreateAccount(ctx, sampleInput)
				return err
			})
			if err != nil || !validCarID(id) {
				t.Fatalf("under retry.Do: %q, %v", id, err)
			}
			if f.CreateCalls() != 1 || f.Calls("CreateAccount") != 4 {
				t.Fatalf("accepted %d of %d calls, want 1 of 4", f.CreateCalls(), f.Calls("CreateAccount"))
			}
		})
	}
}

func TestStatusTemporaryFaultsRetried(t *testing.T) {
	f, orgs, _ := newFake(t)
	f.SetPolls(0)
	ctx := testCtx(t)
	id, err := orgs.CreateAccount(ctx, sampleInput)
	if err != nil {
		t.Fatal(err)
	}
	f.FailNext(1, "ConcurrentModificationException")
	f.FailNext(1, "ThrottlingException")
	f.FailNext(1, devaws.Reset)
	var st CreateStatus
	err = retry.Do(ctx, fast, func(ctx context.Context) error {
		var err error
		st, err = orgs.Status(ctx, id)
		if err != nil && retry.IsPermanent(err) {
			t.Errorf("fault classified permanent: %v", err)
		}
		return err
	})
	if err != nil || st.State != StateSucceeded {
		t.Fatalf("%+v, %v", st, err)
	}
}

func TestRetryAfterHintKept(t *testing.T) {
	f, orgs, _ := newFake(t)
	f.FailNextAfter(1, "503", 2*time.Second)
	_, err := orgs.CreateAccount(testCtx(t), sampleInput)
	mustTemporary(t, err)
	if d, ok := retry.RetryAfter(err); !ok || d != 2*time.Second {
		t.Fatalf("RetryAfter = %v, %v", d, ok)
	}
}

func TestCreateAccountPermanentErrors(t *testing.T) {
	cases := map[string]string{
		"AccessDeniedException":             "management account",
		"AWSOrganizationsNotInUseException": "not in an organization",
		"ConstraintViolationException":      "limit",
		"InvalidInputException":             "input",
		"UnsupportedAPIEndpointException":   "us-east-1",
	}
	for code, hint := range cases {
		t.Run(code, func(t *testing.T) {
			f, orgs, _ := newFake(t)
			f.FailNext(1, code)
			_, err := orgs.CreateAccount(testCtx(t), sampleInput)
			mustPermanent(t, err)
			if !strings.Contains(err.Error(), hint) || !strings.Contains(err.Error(), code) {
				t.Fatalf("error lacks %q or the code: %v", hint, err)
			}
			var rej *RejectedError
			if errors.As(err, &rej) {
				t.Fatalf("an ops problem must not be a reseller rejection: %v", err)
			}
		})
	}
}

func TestRefusedCredentialsPermanent(t *testing.T) {
	f := devaws.NewServer()
	t.Cleanup(f.Close)
	for name, cfg := range map[string]struct{ key, secret, code string }{
		"unknown key":  {"AKIDNOBODY0000000000", devaws.SecretAccessKey, "UnrecognizedClientException"},
		"wrong secret": {devaws.AccessKeyID, "not-the-secret", "InvalidSignatureException"},
	} {
		t.Run(name, func(t *testing.T) {
			orgs := NewOrganizations(f.ConfigWithCredentials(cfg.key, cfg.secret))
			_, err := orgs.CreateAccount(testCtx(t), sampleInput)
			mustPermanent(t, err)
			if !strings.Contains(err.Error(), cfg.code) || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
				t.Fatalf("error: %v", err)
			}
		})
	}
	if f.CreateCalls() != 0 {
		t.Fatal("an unauthenticated creation was accepted")
	}
}
