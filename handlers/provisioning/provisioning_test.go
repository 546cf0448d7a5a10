package provisioning_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/provisioning"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/sandbox/devaws"
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

// AWS refuses the root email of an EMEA reseller in Germany: the
// clarification asking for another is German, names the EMEA mailbox and
// carries that mailbox's tokenised Reply-To, so the answer proves itself
// where the reseller sends it.
func TestEmailExistsClarificationGoesToTheRegion(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t))
	handlertest.Go(t, e.driver(t).Run)
	e.fake.FailCreation("taken@baeckerei.example", "EMAIL_ALREADY_EXISTS")
	e.seedEMEA(t, "REQ-EMEA", "DE", "taken@baeckerei.example", "Bäckerei Müller")
	if _, err := e.ops.Approve(context.Background(), "REQ-EMEA", "", ""); err != nil {
		t.Fatal(err)
	}
	e.waitStage(t, "REQ-EMEA", lifecycle.StageAwaitingDetails)
	var raw [][]byte
	brokertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if raw = e.sb.Messages(contact); len(raw) != 1 {
			return fmt.Errorf("%d mails to the contact", len(raw))
		}
		return nil
	})
	want, err := mailer.ReplyAddress(replyKey, "REQ-EMEA", emeaBox)
	if err != nil {
		t.Fatal(err)
	}
	h, bodies := mailtest.Parts(t, raw[0])
	replyTo, _ := h.AddressList("Reply-To")
	if len(replyTo) != 1 || replyTo[0].Address != want {
		t.Errorf("Reply-To %v, want %s", replyTo, want)
	}
	subject, _ := h.Subject()
	text := strings.Join(strings.Fields(bodies["text/plain"]), " ")
	if subject != "Re: Anfrage für ein neues Kundenkonto erhalten – Amazon Web Services (Acme Corp) [REQ-EMEA]" {
		t.Errorf("subject %q", subject)
	}
	for _, s := range []string{"Die Adresse taken@baeckerei.example gehört bereits zu einem anderen AWS-Konto", "Ihre Antwort geht an unser regionales Support-Team unter " + emeaBox,
		"der Kontoname „Bäckerei Müller“, den AWS als „Backerei Muller“ anzeigen wird", "Root email (E-Mail-Adresse des Root-Benutzers):"} {
		if !strings.Contains(text, s) {
			t.Errorf("clarification lacks %q:\n%s", s, bodies["text/plain"])
		}
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

	// Ops raise the limit and retry (twice: a double click): one more
	// CreateAccount, and the account.
	e.fake.StopFailing("root@limit.example")
	ctx := context.Background()
	for range 2 {
		ap, err := e.ops.RetryProvisioning(ctx, "REQ-LIM", "ops@example.com")
		if err != nil && !refusedIn(err, "queued", "pending", "done") || err == nil && ap.Retry != 1 {
			t.Fatalf("retry: %+v %v", ap, err)
		}
	}
	e.waitStage(t, "REQ-LIM", lifecycle.StageCreated)
	brokertest.WaitIdle(t, e.conn, provisioning.Name)
	if n := e.fake.CreateCallsFor("root@limit.example"); n != 2 {
		t.Fatalf("%d CreateAccount calls, want the failed one and the retry", n)
	}
	if _, err := e.ops.RetryProvisioning(ctx, "REQ-LIM", ""); err == nil || !strings.Contains(err.Error(), "already has an account") {
		t.Fatalf("retry after the account exists: %v", err)
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

// CreateAccount got no answer (the connection dropped): AWS may have
// started a creation, so nothing is retried by itself; ops are alerted,
// and after looking in Organizations they ask for a retry, which creates
// the account exactly once however often they ask.
func TestUnknownOutcomeAlertsOpsThenRetryCreatesOnce(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	brokertest.Run(t, e.conn, e.handler(t))
	handlertest.Go(t, e.driver(t).Run)
	e.seed(t, "REQ-UNK", "root@unk.example", "Unknown")
	if _, err := e.ops.RetryProvisioning(ctx, "REQ-UNK", "ops@example.com"); !refusedIn(err, "none") {
		t.Fatalf("retry before any creation: %v", err)
	}
	e.fake.FailNext(1, devaws.Reset)
	if _, err := e.ops.Approve(ctx, "REQ-UNK", "", ""); err != nil {
		t.Fatal(err)
	}
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if m := e.mails(t, opsEmail); len(m) != 1 || !strings.Contains(m[0], "acctflow provisioning retry REQ-UNK") {
			return fmt.Errorf("ops mails %q", m)
		}
		return nil
	})
	if e.fake.Calls("CreateAccount") != 1 || e.fake.CreateCalls() != 0 {
		t.Fatalf("%d calls, %d creations", e.fake.Calls("CreateAccount"), e.fake.CreateCalls())
	}
	if rec, _ := e.store.Get(ctx, "REQ-UNK"); rec.Stage != lifecycle.StageApproved {
		t.Fatalf("stage %s", rec.Stage)
	}
	// Ops found nothing in Organizations: retry, twice (a double click).
	for range 2 {
		ap, err := e.ops.RetryProvisioning(ctx, "REQ-UNK", "ops@example.com")
		if err != nil && !refusedIn(err, "queued", "pending", "done") || err == nil && ap.Retry != 1 {
			t.Fatalf("retry: %+v %v", ap, err)
		}
	}
	e.waitStage(t, "REQ-UNK", lifecycle.StageCreated)
	brokertest.WaitIdle(t, e.conn, provisioning.Name)
	if e.fake.CreateCalls() != 1 || e.fake.Calls("CreateAccount") != 2 {
		t.Fatalf("%d creations in %d calls", e.fake.CreateCalls(), e.fake.Calls("CreateAccount"))
	}
	if n := brokertest.Count(t, e.conn, events.SubjectApproved); n != 2 {
		t.Fatalf("%d acct.approved: the retries should be one event", n)
	}
	if _, err := e.ops.RetryProvisioning(ctx, "REQ-UNK", ""); !refusedIn(err, "done") {
		t.Fatalf("retry after the account exists: %v", err)
	}
}

func refusedIn(err error, states ...string) bool {
	var rr *ops.RetryRefused
	return errors.As(err, &rr) && slices.Contains(states, rr.State)
}

// A driver died during CreateAccount, leaving the ledger's claim without an
// outcome: once the claim's lease is over it is unknown, never called again.
func TestAbandonedCreateAccountClaimGoesUnknown(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.seed(t, "REQ-DEAD", "root@dead.example", "Dead")
	rec, _ := e.store.Get(ctx, "REQ-DEAD")
	job, err := provisioning.JobFor(rec, events.AccountApproved{RequestID: "REQ-DEAD"}, events.Envelope{ID: "approval-1"}, 99)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(provisioning.Creation{Job: job})
	if _, err := e.ledger.Put(ctx, provisioning.Key("REQ-DEAD"), effect.Record{State: effect.Pending, Owner: "gone", Data: data}, 0); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(job)
	brokertest.PublishRaw(t, e.conn, provisioning.SubjectJobs+"."+events.KeyOf("REQ-DEAD"), body, "job-1")
	d := e.driver(t)
	d.Lease = 300 * time.Millisecond
	handlertest.Go(t, d.Run)
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if m := e.mails(t, opsEmail); len(m) != 1 || !strings.Contains(m[0], "cannot tell whether AWS created the account for request REQ-DEAD") {
			return fmt.Errorf("ops mails %q", m)
		}
		return nil
	})
	ent, _ := e.ledger.Read(ctx, provisioning.Key("REQ-DEAD"))
	if ent.State != effect.Unknown || e.fake.Calls("CreateAccount") != 0 {
		t.Fatalf("%s after %d calls", ent.State, e.fake.Calls("CreateAccount"))
	}
}

// countingKV counts the ledger's reads and writes.
type countingKV struct {
	effect.KV
	ops atomic.Int64
}

func (c *countingKV) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	c.ops.Add(1)
	return c.KV.Get(ctx, key)
}

func (c *countingKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	c.ops.Add(1)
	return c.KV.Create(ctx, key, value, opts...)
}

func (c *countingKV) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	c.ops.Add(1)
	return c.KV.Update(ctx, key, value, rev)
}

func (c *countingKV) Status(ctx context.Context) (jetstream.KeyValueStatus, error) {
	c.ops.Add(1)
	return c.KV.Status(ctx)
}

// No scan: with a thousand finished creations in KV accounts, one new
// creation costs the driver a handful of reads and writes, and once it is
// done nothing is left that could wake the driver.
func TestFinishedCreationsCostNothing(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	const history = 1000
	for i := range history {
		id := fmt.Sprintf("REQ-H%04d", i)
		data, _ := json.Marshal(provisioning.Creation{Job: provisioning.Job{RequestID: id, ApprovalID: "a"}, CarID: "car-0000000" + fmt.Sprint(i%10), Status: provisioning.StatusSucceeded})
		if _, err := e.ledger.Put(ctx, provisioning.Key(id), effect.Record{State: effect.Done, Data: data}, 0); err != nil {
			t.Fatal(err)
		}
	}
	kv := &countingKV{KV: e.accounts}
	h := &provisioning.Handler{JS: e.conn.JS, Ledger: effect.NewLedger(kv, "", nil), Requests: e.store, Logger: brokertest.Logger(t)}
	brokertest.Run(t, e.conn, h.Broker())
	d := e.driver(t)
	d.Ledger = effect.NewLedger(kv, "", nil)
	handlertest.Go(t, d.Run)
	e.fake.SetPolls(2)
	e.seed(t, "REQ-NEW", "root@new.example", "New")
	if _, err := e.ops.Approve(ctx, "REQ-NEW", "", ""); err != nil {
		t.Fatal(err)
	}
	e.waitStage(t, "REQ-NEW", lifecycle.StageCreated)
	brokertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		cons, err := e.conn.JS.Consumer(ctx, broker.StreamProvisioning, provisioning.DriverConsumer)
		if err != nil {
			return err
		}
		ci, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		st, err := e.conn.JS.Stream(ctx, broker.StreamProvisioning)
		if err != nil {
			return err
		}
		if ci.NumPending+uint64(ci.NumAckPending) != 0 || st.CachedInfo().State.Msgs != 0 {
			return fmt.Errorf("driver not idle: %d pending, %d unacked, %d jobs kept", ci.NumPending, ci.NumAckPending, st.CachedInfo().State.Msgs)
		}
		return nil
	})
	if n := kv.ops.Load(); n > 20 {
		t.Fatalf("%d ledger operations for one creation next to %d finished ones", n, history)
	}
}

// While AWS creates the account, ops cannot record one by hand: AWS's would
// be orphaned. Manual provisioning (no CreateAccount) records as before.
func TestRecordAccountRefusedWhileAWSCreates(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.fake.SetPolls(1_000_000)
	brokertest.Run(t, e.conn, e.handler(t))
	handlertest.Go(t, e.driver(t).Run)
	e.seed(t, "REQ-BUSY", "root@busy.example", "Busy")
	if _, err := e.ops.Approve(ctx, "REQ-BUSY", "", ""); err != nil {
		t.Fatal(err)
	}
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if n := e.fake.Calls("DescribeCreateAccountStatus"); n == 0 {
			return errors.New("no poll yet")
		}
		return nil
	})
	_, err := e.ops.RecordAccount(ctx, "REQ-BUSY", "210987654321")
	if !errors.Is(err, ops.ErrBusy) || !strings.Contains(err.Error(), "creating the account of REQ-BUSY") {
		t.Fatalf("record while AWS creates: %v", err)
	}
	if rec, _ := e.store.Get(ctx, "REQ-BUSY"); rec.Stage != lifecycle.StageApproved || rec.Account != nil {
		t.Fatalf("stage %s, account %+v", rec.Stage, rec.Account)
	}

	e.seed(t, "REQ-HAND", "root@hand.example", "Hand")
	if _, err := e.store.Update(ctx, "REQ-HAND", func(r *lifecycle.Record) error { r.Stage = lifecycle.StageApproved; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ops.RecordAccount(ctx, "REQ-HAND", "210987654321"); err != nil {
		t.Fatalf("record with no CreateAccount: %v", err)
	}
}
