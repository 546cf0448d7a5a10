package provisioning_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
)

func TestCreatesAccountAfterPolling(t *testing.T) {
	e := setup(t)
	e.fake.SetPolls(3)
	brokertest.Run(t, e.conn, e.handler(t))
	handlertest.Go(t, e.driver(t).Run)
	e.seed(t, "REQ-OK1", "root+acme@acme.example", "Café Étoile")
	if _, err := e.ops.Approve(context.Background(), "REQ-OK1", "ops@example.com", "looks fine"); err != nil {
		t.Fatal(err)
	}
	rec := e.waitStage(t, "REQ-OK1", lifecycle.StageCreated)
	want, ok := e.fake.AccountFor("root+acme@acme.example")
	if !ok || rec.Account.AccountID != want || rec.Account.Method != events.MethodOrganizations || rec.Account.AccountName != "Cafe Etoile" {
		t.Fatalf("account %+v, fake says %s %v", rec.Account, want, ok)
	}
	reqs := e.fake.CreateRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d CreateAccount calls", len(reqs))
	}
	r := reqs[0]
	if r.Email != "root+acme@acme.example" || r.AccountName != "Cafe Etoile" || r.RoleName != "OrganizationAccountAccessRole" ||
		r.IamUserAccessToBilling != "ALLOW" || r.Tags["acctflow:request-id"] != "REQ-OK1" || r.Tags["acctflow:reseller-id"] != "R-1" ||
		r.Tags["acctflow:customer-id"] != "C-REQ-OK1" {
		t.Fatalf("CreateAccount input %+v", r)
	}
	if n := e.fake.Calls("DescribeCreateAccountStatus"); n < 4 {
		t.Fatalf("%d polls, want at least 4 (3 IN_PROGRESS)", n)
	}
}

func TestApproveAtWrongStage(t *testing.T) {
	e := setup(t)
	e.seed(t, "REQ-STG", "root@stage.example", "Stage")
	_, err := e.ops.RecordAccount(context.Background(), "REQ-STG", "123456789012")
	var se *ops.StageError
	if !errors.As(err, &se) || se.Stage != lifecycle.StageDetailsReceived {
		t.Fatalf("record account before approval: %v", err)
	}
	if _, err := e.ops.Approve(context.Background(), "REQ-STG", "", ""); err != nil {
		t.Fatal(err)
	}
	e.waitStage(t, "REQ-STG", lifecycle.StageApproved)
	_, err = e.ops.Approve(context.Background(), "REQ-STG", "", "")
	if !errors.As(err, &se) || se.Stage != lifecycle.StageApproved || !strings.Contains(err.Error(), "approved") {
		t.Fatalf("second approval: %v", err)
	}
	_, err = e.ops.Reject(context.Background(), "REQ-STG", "no")
	if !errors.As(err, &se) {
		t.Fatalf("reject after approval: %v", err)
	}
	if _, err := e.ops.Approve(context.Background(), "REQ-NONE", "", ""); !ops.IsNotFound(err) {
		t.Fatalf("unknown request: %v", err)
	}
	// Manual provisioning from approved.
	if _, err := e.ops.RecordAccount(context.Background(), "REQ-STG", "12345"); !errors.Is(err, ops.ErrInvalid) {
		t.Fatalf("bad account id: %v", err)
	}
	if _, err := e.ops.RecordAccount(context.Background(), "REQ-STG", "123456789012"); err != nil {
		t.Fatal(err)
	}
	rec := e.waitStage(t, "REQ-STG", lifecycle.StageCreated)
	if rec.Account.Method != events.MethodManual || rec.Account.AccountID != "123456789012" {
		t.Fatalf("manual account %+v", rec.Account)
	}
}

func TestOpsReject(t *testing.T) {
	e := setup(t)
	e.seed(t, "REQ-REJ", "root@rej.example", "Rej")
	if _, err := e.ops.Reject(context.Background(), "REQ-REJ", "  "); !errors.Is(err, ops.ErrInvalid) {
		t.Fatalf("empty reason: %v", err)
	}
	if _, err := e.ops.Reject(context.Background(), "REQ-REJ", "duplicate of REQ-1"); err != nil {
		t.Fatal(err)
	}
	rec := e.waitStage(t, "REQ-REJ", lifecycle.StageRejected)
	if rec.Rejection.Reasons[0] != events.ReasonOpsRejected || rec.Rejection.Detail != "duplicate of REQ-1" || rec.Rejection.By != "ops" {
		t.Fatalf("rejection %+v", rec.Rejection)
	}
}

func TestRootEmailFailuresAskForAnother(t *testing.T) {
	for _, reason := range []string{"EMAIL_ALREADY_EXISTS", "INVALID_EMAIL"} {
		t.Run(reason, func(t *testing.T) {
			e := setup(t)
			brokertest.Run(t, e.conn, e.handler(t))
			handlertest.Go(t, e.driver(t).Run)
			e.fake.FailCreation("taken@acme.example", reason)
			e.seed(t, "REQ-EM", "taken@acme.example", "Acme")
			if _, err := e.ops.Approve(context.Background(), "REQ-EM", "", ""); err != nil {
				t.Fatal(err)
			}
			brokertest.WaitCount(t, e.conn, events.SubjectCreationFailed, 1)
			rec := e.waitStage(t, "REQ-EM", lifecycle.StageAwaitingDetails)
			if !rec.Failure.NewRootEmailNeeded || rec.Failure.FailureReason != reason || rec.Failure.Explanation == "" {
				t.Fatalf("failure %+v", rec.Failure)
			}
			var mails []string
			brokertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
				if mails = e.mails(t, contact); len(mails) != 1 {
					return fmt.Errorf("%d mails to the contact", len(mails))
				}
				return nil
			})
			if !strings.Contains(mails[0], "taken@acme.example") {
				t.Fatalf("clarification does not name the address:\n%s", mails[0])
			}
			// New details, a new approval: a second creation with the new email.
			e.seed(t, "REQ-EM", "fresh@acme.example", "Acme")
			if _, err := e.ops.Approve(context.Background(), "REQ-EM", "", ""); err != nil {
				t.Fatal(err)
			}
			e.waitStage(t, "REQ-EM", lifecycle.StageCreated)
			if e.fake.CreateCalls() != 2 || e.fake.CreateCallsFor("fresh@acme.example") != 1 {
				t.Fatalf("CreateAccount calls %+v", e.fake.CreateRequests())
			}
		})
	}
}

func TestFailureOnOurSideAlertsOps(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t))
	handlertest.Go(t, e.driver(t).Run)
	e.fake.FailCreation("root@limit.example", "ACCOUNT_LIMIT_EXCEEDED")
	e.seed(t, "REQ-LIM", "root@limit.example", "Limit")
	if _, err := e.ops.Approve(context.Background(), "REQ-LIM", "", ""); err != nil {
		t.Fatal(err)
	}
	rec := e.waitStage(t, "REQ-LIM", lifecycle.StageCreationFailed)
	if rec.Failure.NewRootEmailNeeded || !strings.Contains(rec.Failure.Explanation, "on our side") {
		t.Fatalf("failure %+v", rec.Failure)
	}
	brokertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if m := e.mails(t, opsEmail); len(m) != 1 || !strings.Contains(m[0], "ACCOUNT_LIMIT_EXCEEDED") {
			return fmt.Errorf("ops mails %q", m)
		}
		return nil
	})
	if n := len(e.mails(t, contact)); n != 0 {
		t.Fatalf("%d mails to the contact", n)
	}
}

func TestThrottledCreateRetried(t *testing.T) {
	for _, code := range []string{"ConcurrentModificationException", "TooManyRequestsException"} {
		t.Run(code, func(t *testing.T) {
			e := setup(t)
			brokertest.Run(t, e.conn, e.handler(t))
			e.seed(t, "REQ-THR", "root@thr.example", "Throttled")
			e.fake.FailNext(2, code)
			handlertest.Go(t, e.driver(t).Run)
			if _, err := e.ops.Approve(context.Background(), "REQ-THR", "", ""); err != nil {
				t.Fatal(err)
			}
			e.waitStage(t, "REQ-THR", lifecycle.StageCreated)
			if e.fake.CreateCalls() != 1 || e.fake.Calls("CreateAccount") != 3 {
				t.Fatalf("accepted %d, calls %d", e.fake.CreateCalls(), e.fake.Calls("CreateAccount"))
			}
		})
	}
}

func TestThrottledPollRetried(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t))
	e.seed(t, "REQ-TP", "root@tp.example", "Polls")
	d := e.driver(t)
	handlertest.Go(t, d.Run)
	e.fake.SetPolls(2)
	if _, err := e.ops.Approve(context.Background(), "REQ-TP", "", ""); err != nil {
		t.Fatal(err)
	}
	brokertest.CheckFor(t, 5*time.Second, time.Millisecond, func() error {
		if e.fake.CreateCalls() != 1 {
			return errors.New("not created yet")
		}
		return nil
	})
	e.fake.FailNext(3, "TooManyRequestsException")
	e.waitStage(t, "REQ-TP", lifecycle.StageCreated)
	if e.fake.CreateCalls() != 1 {
		t.Fatalf("%d creations", e.fake.CreateCalls())
	}
}

func TestRestartDuringPollingResumes(t *testing.T) {
	e := setup(t)
	e.fake.SetPolls(40)
	stopHandlers := brokertest.Run(t, e.conn, e.handler(t))
	d := e.driver(t)
	stop := handlertest.Go(t, d.Run)
	e.seed(t, "REQ-RST", "root@rst.example", "Restart")
	if _, err := e.ops.Approve(context.Background(), "REQ-RST", "", ""); err != nil {
		t.Fatal(err)
	}
	brokertest.CheckFor(t, 5*time.Second, time.Millisecond, func() error {
		if n := e.fake.Calls("DescribeCreateAccountStatus"); n < 3 {
			return fmt.Errorf("%d polls", n)
		}
		return nil
	})
	stop()
	stopHandlers()
	if _, ok := e.fake.AccountFor("root@rst.example"); ok {
		t.Fatal("creation finished before the restart; the test proves nothing")
	}
	// A new process: another driver identity, taking over after the lease.
	brokertest.Run(t, e.conn, e.handler(t))
	d2 := e.driver(t)
	d2.Lease = 20 * time.Millisecond
	handlertest.Go(t, d2.Run)
	rec := e.waitStage(t, "REQ-RST", lifecycle.StageCreated)
	if e.fake.CreateCalls() != 1 || rec.Account.CreateRequestID != e.fake.CreateRequests()[0].ID {
		t.Fatalf("%d CreateAccount calls, account %+v", e.fake.CreateCalls(), rec.Account)
	}
}

func TestApprovalDeliveredTwiceCreatesOnce(t *testing.T) {
	e := setup(t)
	h := e.handler(t)
	var calls atomic.Int32
	brokertest.Run(t, e.conn, brokertest.CrashOnce(h, &calls))
	handlertest.Go(t, e.driver(t).Run)
	e.seed(t, "REQ-TWICE", "root@twice.example", "Twice")
	ap := events.AccountApproved{RequestID: "REQ-TWICE", ApprovedAt: events.Time(time.Now())}
	// Two copies with different message ids, past the duplicate window.
	for _, id := range []string{"approval-1", "approval-2"} {
		brokertest.Publish(t, e.conn, ap, id)
	}
	e.waitStage(t, "REQ-TWICE", lifecycle.StageCreated)
	brokertest.WaitCalls(t, &calls, 3)
	if n := e.fake.CreateCalls(); n != 1 {
		t.Fatalf("%d CreateAccount calls", n)
	}
	brokertest.WaitCount(t, e.conn, events.SubjectCreated, 1)
}

func TestAtMostFiveCreationsInProgress(t *testing.T) {
	e := setup(t)
	e.fake.SetPolls(25)
	brokertest.Run(t, e.conn, e.handler(t))
	d := e.driver(t)
	d.MaxConcurrent = 5
	handlertest.Go(t, d.Run)
	emails := make([]string, 6)
	for i := range emails {
		id := fmt.Sprintf("REQ-C%d", i)
		emails[i] = fmt.Sprintf("root%d@conc.example", i)
		e.seed(t, id, emails[i], "Conc")
		if _, err := e.ops.Approve(context.Background(), id, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	// CreateCalls is read before the finished count: if six creations had
	// started, one of the first five must already be finished.
	maxSeen := 0
	brokertest.CheckFor(t, 20*time.Second, time.Millisecond, func() error {
		started := e.fake.CreateCalls()
		done := 0
		for _, em := range emails {
			if _, ok := e.fake.AccountFor(em); ok {
				done++
			}
		}
		if started-done > 5 {
			t.Fatalf("%d creations in progress at once", started-done)
		}
		maxSeen = max(maxSeen, started-done)
		if done < 6 {
			return fmt.Errorf("%d of 6 done", done)
		}
		return nil
	})
	if maxSeen != 5 {
		t.Fatalf("at most %d in progress; the limit was never reached", maxSeen)
	}
	brokertest.WaitCount(t, e.conn, events.SubjectCreated, 6)
}

func TestDeadlineAlertsOnceAndKeepsPolling(t *testing.T) {
	e := setup(t)
	e.fake.SetPolls(30)
	brokertest.Run(t, e.conn, e.handler(t))
	d := e.driver(t)
	d.Deadline = 10 * time.Millisecond
	handlertest.Go(t, d.Run)
	e.seed(t, "REQ-SLOW", "root@slow.example", "Slow")
	if _, err := e.ops.Approve(context.Background(), "REQ-SLOW", "", ""); err != nil {
		t.Fatal(err)
	}
	e.waitStage(t, "REQ-SLOW", lifecycle.StageCreated)
	brokertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		m := e.mails(t, opsEmail)
		if len(m) != 1 || !strings.Contains(m[0], "still in progress") {
			return fmt.Errorf("ops mails %q", m)
		}
		return nil
	})
}
