package aws

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/acctflow/acctflow/retry"
)

var sampleInput = CreateInput{
	Email:       "aws-root+req1001@acme.example",
	AccountName: AccountName("Café Étoile"),
	Tags:        map[string]string{"acctflow:request-id": "REQ-1001", "acctflow:reseller-id": "R-100", "acctflow:customer-id": "C-200"},
}

func TestCreateAccountSendsInput(t *testing.T) {
	f, orgs, _ := newFake(t)
	id, err := orgs.CreateAccount(testCtx(t), sampleInput)
	if err != nil {
		t.Fatal(err)
	}
	if !validCarID(id) {
		t.Fatalf("request id %q", id)
	}
	reqs := f.CreateRequests()
	if len(reqs) != 1 {
		t.Fatalf("fake saw %d creations", len(reqs))
	}
	got := reqs[0]
	if got.ID != id || got.Email != sampleInput.Email || got.AccountName != "Cafe Etoile" ||
		got.RoleName != DefaultRoleName || got.IamUserAccessToBilling != "ALLOW" || !maps.Equal(got.Tags, sampleInput.Tags) {
		t.Fatalf("fake received %+v", got)
	}
	if f.CreateCalls() != 1 || f.CreateCallsFor(strings.ToUpper(sampleInput.Email)) != 1 {
		t.Fatalf("counters: %d, %d", f.CreateCalls(), f.CreateCallsFor(sampleInput.Email))
	}

	in := sampleInput
	in.Email, in.RoleName = "other@acme.example", "AcctflowAdmin"
	if _, err := orgs.CreateAccount(testCtx(t), in); err != nil {
		t.Fatal(err)
	}
	if got := f.CreateRequests()[1].RoleName; got != "AcctflowAdmin" {
		t.Fatalf("role name sent: %q", got)
	}
}

func TestStatusInProgressThenSucceeded(t *testing.T) {
	f, orgs, _ := newFake(t)
	f.SetPolls(2)
	ctx := testCtx(t)
	id, err := orgs.CreateAccount(ctx, sampleInput)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		st, err := orgs.Status(ctx, id)
		if err != nil || st != (CreateStatus{State: StateInProgress}) {
			t.Fatalf("poll %d: %+v, %v", i+1, st, err)
		}
	}
	st, err := orgs.Status(ctx, id)
	if err != nil || st.State != StateSucceeded || !isDigits(st.AccountID, 12) || st.FailureReason != "" {
		t.Fatalf("final poll: %+v, %v", st, err)
	}
	if acct, ok := f.AccountFor(sampleInput.Email); !ok || acct != st.AccountID {
		t.Fatalf("fake holds account %q, adapter saw %q", acct, st.AccountID)
	}
}

func TestAwaitRidesOutInProgressAndThrottling(t *testing.T) {
	f, orgs, _ := newFake(t)
	f.SetPolls(3)
	ctx := testCtx(t)
	id, err := orgs.CreateAccount(ctx, sampleInput)
	if err != nil {
		t.Fatal(err)
	}
	f.FailNext(1, "TooManyRequestsException")
	st, err := orgs.Await(ctx, id, retry.Policy{Initial: time.Millisecond, Max: 2 * time.Millisecond})
	if err != nil || st.State != StateSucceeded {
		t.Fatalf("Await: %+v, %v", st, err)
	}
	if n := f.Calls("DescribeCreateAccountStatus"); n != 5 {
		t.Fatalf("polls = %d, want 5 (1 throttled, 3 in progress, 1 final)", n)
	}
}

func TestAwaitGivesUpTemporarily(t *testing.T) {
	f, orgs, _ := newFake(t)
	f.SetPolls(10)
	id, err := orgs.CreateAccount(testCtx(t), sampleInput)
	if err != nil {
		t.Fatal(err)
	}
	st, err := orgs.Await(testCtx(t), id, retry.Policy{Initial: time.Millisecond, Max: time.Millisecond, Attempts: 3})
	if !errors.Is(err, ErrInProgress) || st.State != StateInProgress {
		t.Fatalf("Await: %+v, %v", st, err)
	}
	mustTemporary(t, err)
}

func TestStatusEveryFailureReason(t *testing.T) {
	f, orgs, _ := newFake(t)
	f.SetPolls(0)
	ctx := testCtx(t)
	for i, reason := range types.CreateAccountFailureReason("").Values() {
		in := sampleInput
		in.Email = "root" + string(rune('a'+i)) + "@acme.example"
		f.FailCreation(in.Email, string(reason))
		id, err := orgs.CreateAccount(ctx, in)
		if err != nil {
			t.Fatalf("%s: %v", reason, err)
		}
		st, err := orgs.Status(ctx, id)
		if err != nil || st.State != StateFailed || st.FailureReason != string(reason) || st.AccountID != "" {
			t.Fatalf("%s: %+v, %v", reason, st, err)
		}
	}
}

func TestEmailAlreadyExistsAsksForNewEmail(t *testing.T) {
	f, orgs, _ := newFake(t)
	f.SetPolls(0)
	ctx := testCtx(t)
	first, err := orgs.CreateAccount(ctx, sampleInput)
	if err != nil {
		t.Fatal(err)
	}
	second, err := orgs.CreateAccount(ctx, sampleInput)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := orgs.Status(ctx, first); err != nil || st.State != StateSucceeded {
		t.Fatalf("first: %+v, %v", st, err)
	}
	st, err := orgs.Status(ctx, second)
	if err != nil || st.State != StateFailed || st.FailureReason != "EMAIL_ALREADY_EXISTS" {
		t.Fatalf("second: %+v, %v", st, err)
	}
	if _, ask := Explain(st.FailureReason); !ask {
		t.Fatal("EMAIL_ALREADY_EXISTS must ask for a new email")
	}
	if f.CreateCallsFor(sampleInput.Email) != 2 {
		t.Fatalf("CreateCallsFor = %d", f.CreateCallsFor(sampleInput.Email))
	}
}

func TestInvalidEmailFailureAsksForNewEmail(t *testing.T) {
	f, orgs, _ := newFake(t)
	f.SetPolls(0)
	f.FailCreation(sampleInput.Email, "INVALID_EMAIL")
	ctx := testCtx(t)
	id, err := orgs.CreateAccount(ctx, sampleInput)
	if err != nil {
		t.Fatal(err)
	}
	st, err := orgs.Status(ctx, id)
	if err != nil || st.FailureReason != "INVALID_EMAIL" {
		t.Fatalf("%+v, %v", st, err)
	}
	if text, ask := Explain(st.FailureReason); !ask || !strings.Contains(text, "reply") {
		t.Fatalf("Explain: %q, %v", text, ask)
	}
}

func TestCreateInputRejectedBeforeAnyCall(t *testing.T) {
	f, orgs, _ := newFake(t)
	ctx := testCtx(t)
	in := sampleInput
	in.Email = "root@acme"
	mustRejected(t, func() error { _, err := orgs.CreateAccount(ctx, in); return err }(), RejectInvalidEmail)

	for _, name := range []string{"", "東京商事", "Café", strings.Repeat("a", 51)} {
		in := sampleInput
		in.AccountName = name
		_, err := orgs.CreateAccount(ctx, in)
		mustRejected(t, err, RejectInvalidAccountName)
	}

	in = sampleInput
	in.RoleName = "bad role"
	_, err := orgs.CreateAccount(ctx, in)
	mustPermanent(t, err)

	in = sampleInput
	in.Tags = map[string]string{"aws:reserved": "x"}
	_, err = orgs.CreateAccount(ctx, in)
	mustPermanent(t, err)

	in.Tags = map[string]string{}
	for i := range 51 {
		in.Tags[strings.Repeat("k", i+1)] = "v"
	}
	_, err = orgs.CreateAccount(ctx, in)
	mustPermanent(t, err)

	if n := f.Calls("CreateAccount"); n != 0 {
		t.Fatalf("%d calls reached AWS", n)
	}
}

func TestStatusUnknownRequest(t *testing.T) {
	f, orgs, _ := newFake(t)
	_, err := orgs.Status(testCtx(t), "car-0123456789abcdef")
	mustPermanent(t, err)
	if !strings.Contains(err.Error(), "CreateAccountStatusNotFoundException") {
		t.Fatalf("error: %v", err)
	}
	_, err = orgs.Status(testCtx(t), "car-ABC")
	mustPermanent(t, err)
	if n := f.Calls("DescribeCreateAccountStatus"); n != 1 {
		t.Fatalf("%d calls, want 1 (a malformed id is not sent)", n)
	}
}

func TestCanceledContextIsNotPermanent(t *testing.T) {
	_, orgs, _ := newFake(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := orgs.CreateAccount(ctx, sampleInput)
	mustTemporary(t, err)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled in %v", err)
	}
}

func TestStatusFailedWithoutReason(t *testing.T) {
	f, orgs, _ := newFake(t)
	f.SetPolls(0)
	f.FailCreation(sampleInput.Email, "")
	id, err := orgs.CreateAccount(testCtx(t), sampleInput)
	if err != nil {
		t.Fatal(err)
	}
	st, err := orgs.Status(testCtx(t), id)
	if err != nil || st != (CreateStatus{State: StateFailed}) {
		t.Fatalf("%+v, %v", st, err)
	}
}
