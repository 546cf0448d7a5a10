package devaws_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/acctflow/acctflow/sandbox/devaws"
)

// clock is a settable time for creation delays.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func startSandbox(t *testing.T, cfg devaws.Config) *devaws.Server {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // no test may ask IMDS, even by mistake
	s, err := devaws.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func orgsClient(s *devaws.Server) *organizations.Client {
	return organizations.NewFromConfig(s.Config(), func(o *organizations.Options) { o.Retryer = sdkaws.NopRetryer{} })
}

func stsClient(s *devaws.Server) *sts.Client {
	return sts.NewFromConfig(s.Config(), func(o *sts.Options) { o.Retryer = sdkaws.NopRetryer{} })
}

func code(err error) string {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		return coded.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func create(t *testing.T, c *organizations.Client, email, requestID string) (string, error) {
	t.Helper()
	in := &organizations.CreateAccountInput{Email: sdkaws.String(email), AccountName: sdkaws.String("Acme")}
	if requestID != "" {
		in.Tags = []orgtypes.Tag{{Key: sdkaws.String("acctflow:request-id"), Value: sdkaws.String(requestID)}}
	}
	out, err := c.CreateAccount(ctx(t), in)
	if err != nil {
		return "", err
	}
	if out.CreateAccountStatus.State != orgtypes.CreateAccountStateInProgress {
		t.Fatalf("CreateAccount answered %s, AWS always answers IN_PROGRESS", out.CreateAccountStatus.State)
	}
	return *out.CreateAccountStatus.Id, nil
}

func describe(t *testing.T, c *organizations.Client, id string) *orgtypes.CreateAccountStatus {
	t.Helper()
	out, err := c.DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: sdkaws.String(id)})
	if err != nil {
		t.Fatalf("describe %s: %v", id, err)
	}
	return out.CreateAccountStatus
}

// The outcome table of the package comment, through the real SDK over HTTP.
func TestOutcomesByRootEmail(t *testing.T) {
	s := startSandbox(t, devaws.Config{})
	c := orgsClient(s)
	for _, tc := range []struct {
		email     string
		firstCall string // error code of the first call, "" = accepted
		state     orgtypes.CreateAccountState
		reason    orgtypes.CreateAccountFailureReason
	}{
		{"root@acme.example", "", "SUCCEEDED", ""},
		{"root+fail-exists@acme.example", "", "FAILED", "EMAIL_ALREADY_EXISTS"},
		{"root+fail-invalid@acme.example", "", "FAILED", "INVALID_EMAIL"},
		{"Root+FAIL-LIMIT@acme.example", "", "FAILED", "ACCOUNT_LIMIT_EXCEEDED"},
		{"root+fail-internal@acme.example", "", "FAILED", "INTERNAL_FAILURE"},
		{"root+fail-validation@acme.example", "", "FAILED", "PENDING_BUSINESS_VALIDATION"},
		{"root+throttle@acme.example", "TooManyRequestsException", "SUCCEEDED", ""},
		{"root+busy@acme.example", "ConcurrentModificationException", "SUCCEEDED", ""},
		{"root+slow@acme.example", "", "SUCCEEDED", ""},
		{"root@acme.example", "", "FAILED", "EMAIL_ALREADY_EXISTS"}, // held by the first row
		{"ROOT@ACME.EXAMPLE", "", "FAILED", "EMAIL_ALREADY_EXISTS"},
		{"root@nodot", "", "FAILED", "INVALID_EMAIL"},
	} {
		t.Run(tc.email, func(t *testing.T) {
			id, err := create(t, c, tc.email, "")
			if got := code(err); got != tc.firstCall {
				t.Fatalf("first call: %q, want %q", got, tc.firstCall)
			}
			if tc.firstCall != "" {
				if id, err = create(t, c, tc.email, ""); err != nil {
					t.Fatalf("second call: %v", err)
				}
			}
			st := describe(t, c, id)
			if st.State != tc.state || st.FailureReason != tc.reason {
				t.Fatalf("%s %s, want %s %s", st.State, st.FailureReason, tc.state, tc.reason)
			}
			if (st.State == "SUCCEEDED") != (len(sdkaws.ToString(st.AccountId)) == 12) {
				t.Fatalf("account id %q with state %s", sdkaws.ToString(st.AccountId), st.State)
			}
		})
	}
	// Account ids follow the creations: the first creation got the first id.
	if acct, ok := s.AccountFor("root@acme.example"); !ok || acct != "200000000001" {
		t.Fatalf("first account %q %v", acct, ok)
	}
}

// A creation stays IN_PROGRESS for the delay (ten times it with +slow), on
// the sandbox's clock.
func TestCreationDelay(t *testing.T) {
	clk := newClock()
	s := startSandbox(t, devaws.Config{CreateDelay: time.Minute, Now: clk.Now})
	c := orgsClient(s)
	normal, err := create(t, c, "root@acme.example", "")
	if err != nil {
		t.Fatal(err)
	}
	slow, err := create(t, c, "root+slow@acme.example", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		advance      time.Duration
		normal, slow orgtypes.CreateAccountState
	}{
		{0, "IN_PROGRESS", "IN_PROGRESS"},
		{time.Minute - time.Second, "IN_PROGRESS", "IN_PROGRESS"},
		{time.Second, "SUCCEEDED", "IN_PROGRESS"},
		{9*time.Minute - time.Second, "SUCCEEDED", "IN_PROGRESS"},
		{time.Second, "SUCCEEDED", "SUCCEEDED"},
	} {
		clk.Advance(step.advance)
		if got := describe(t, c, normal).State; got != step.normal {
			t.Fatalf("after +%v: normal %s, want %s", step.advance, got, step.normal)
		}
		if got := describe(t, c, slow).State; got != step.slow {
			t.Fatalf("after +%v: slow %s, want %s", step.advance, got, step.slow)
		}
	}
	st := describe(t, c, normal)
	if got := time.Unix(int64(st.CompletedTimestamp.Unix()), 0).UTC(); !got.Equal(clk.Now().Add(-9 * time.Minute)) {
		t.Fatalf("CompletedTimestamp %v, want the end of the delay", got)
	}
}

// Creations, account ids and the addresses they hold survive a restart on
// the same Dir; ids are never handed out twice.
func TestRestartKeepsCreations(t *testing.T) {
	dir := t.TempDir()
	s := startSandbox(t, devaws.Config{Dir: dir})
	c := orgsClient(s)
	ok, err := create(t, c, "root@acme.example", "REQ-1")
	if err != nil {
		t.Fatal(err)
	}
	failed, err := create(t, c, "root+fail-limit@acme.example", "REQ-2")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2 := startSandbox(t, devaws.Config{Dir: dir})
	c2 := orgsClient(s2)
	if st := describe(t, c2, ok); st.State != "SUCCEEDED" || sdkaws.ToString(st.AccountId) != "200000000001" {
		t.Fatalf("after restart %s: %s %s", ok, st.State, sdkaws.ToString(st.AccountId))
	}
	if st := describe(t, c2, failed); st.State != "FAILED" || st.FailureReason != "ACCOUNT_LIMIT_EXCEEDED" {
		t.Fatalf("after restart %s: %s %s", failed, st.State, st.FailureReason)
	}
	again, err := create(t, c2, "ROOT@acme.example", "REQ-3")
	if err != nil {
		t.Fatal(err)
	}
	if st := describe(t, c2, again); st.FailureReason != "EMAIL_ALREADY_EXISTS" {
		t.Fatalf("the address held before the restart: %s %s", st.State, st.FailureReason)
	}
	next, err := create(t, c2, "other@acme.example", "REQ-4")
	if err != nil {
		t.Fatal(err)
	}
	st := describe(t, c2, next)
	if sdkaws.ToString(st.AccountId) != "200000000004" {
		t.Fatalf("fourth creation got account %s", sdkaws.ToString(st.AccountId))
	}
	if next[:12] != ok[:12] || next == ok || again == failed {
		t.Fatalf("creation ids %s %s %s %s: same sandbox prefix, never repeated", ok, failed, again, next)
	}
	if s2.CreateCalls() != 4 {
		t.Fatalf("CreateCalls after restart = %d", s2.CreateCalls())
	}
}

// A process killed while appending leaves a torn line: it is cut off. Other
// damage stops the start rather than handing out ids twice.
func TestJournalDamage(t *testing.T) {
	dir := t.TempDir()
	s := startSandbox(t, devaws.Config{Dir: dir})
	if _, err := create(t, orgsClient(s), "root@acme.example", ""); err != nil {
		t.Fatal(err)
	}
	s.Close()
	path := filepath.Join(dir, "creations.jsonl")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(good, `{"request":{"ID":"car-`...), 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := startSandbox(t, devaws.Config{Dir: dir})
	if s2.CreateCalls() != 1 {
		t.Fatalf("after a torn line: %d creations", s2.CreateCalls())
	}
	id, err := create(t, orgsClient(s2), "second@acme.example", "")
	if err != nil {
		t.Fatal(err)
	}
	if st := describe(t, orgsClient(s2), id); sdkaws.ToString(st.AccountId) != "200000000002" {
		t.Fatalf("after repair: %s", sdkaws.ToString(st.AccountId))
	}
	s2.Close()

	if err := os.WriteFile(path, append(good, "not json\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := devaws.Start(t.Context(), devaws.Config{Dir: dir}); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("damaged journal: %v", err)
	}
	if err := os.WriteFile(path, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := devaws.Start(t.Context(), devaws.Config{Dir: dir}); err == nil || !strings.Contains(err.Error(), "not an AWS sandbox journal") {
		t.Fatalf("foreign file: %v", err)
	}
}

// Roles in sandbox accounts: the external id the trust function names is
// required; unknown accounts, unfinished creations and "Denied" role names
// are refused with AccessDenied, as AWS refuses.
func TestSandboxAccountRoles(t *testing.T) {
	clk := newClock()
	var mu sync.Mutex
	var asked []string
	trust := func(_ context.Context, acct devaws.Account, role string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, acct.ID+"/"+role+"/"+acct.Email)
		if acct.Tags["acctflow:request-id"] == "REQ-BROKEN" {
			return "", errors.New("KV unavailable")
		}
		return "ext-" + acct.Tags["acctflow:request-id"], nil
	}
	s := startSandbox(t, devaws.Config{CreateDelay: time.Minute, Now: clk.Now, Trust: trust})
	c := orgsClient(s)
	id, err := create(t, c, "root@acme.example", "REQ-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := create(t, c, "broken@acme.example", "REQ-BROKEN"); err != nil {
		t.Fatal(err)
	}
	stsc := stsClient(s)
	assume := func(arn, ext string) string {
		in := &sts.AssumeRoleInput{RoleArn: sdkaws.String(arn), RoleSessionName: sdkaws.String("acctflow-validation")}
		if ext != "" {
			in.ExternalId = sdkaws.String(ext)
		}
		out, err := stsc.AssumeRole(ctx(t), in)
		if err != nil {
			return code(err)
		}
		return *out.AssumedRoleUser.Arn
	}
	role := "arn:aws:iam::200000000001:role/AcctflowAccess"
	if got := assume(role, "ext-REQ-1"); got != "AccessDenied" {
		t.Fatalf("before the creation finished: %s", got)
	}
	clk.Advance(time.Minute)
	if st := describe(t, c, id); st.State != "SUCCEEDED" {
		t.Fatalf("creation %s", st.State)
	}
	for _, tc := range []struct{ arn, ext, want string }{
		{role, "ext-REQ-1", "arn:aws:sts::200000000001:assumed-role/AcctflowAccess/acctflow-validation"},
		{"arn:aws:iam::200000000001:role/team/Other", "ext-REQ-1", "arn:aws:sts::200000000001:assumed-role/Other/acctflow-validation"},
		{role, "ext-REQ-2", "AccessDenied"},
		{role, "", "AccessDenied"},
		{"arn:aws:iam::200000000001:role/AcctflowDenied", "ext-REQ-1", "AccessDenied"},
		{"arn:aws:iam::299999999999:role/AcctflowAccess", "ext-REQ-1", "AccessDenied"},
		{"arn:aws:iam::200000000002:role/AcctflowAccess", "ext-REQ-BROKEN", "AccessDenied"},
		{"arn:aws:iam::200000000001:user/AcctflowAccess", "ext-REQ-1", "AccessDenied"},
	} {
		if got := assume(tc.arn, tc.ext); got != tc.want {
			t.Errorf("AssumeRole(%s, %q) = %s, want %s", tc.arn, tc.ext, got, tc.want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) == 0 || asked[0] != "200000000001/AcctflowAccess/root@acme.example" {
		t.Fatalf("trust asked %v", asked)
	}
	for _, a := range asked {
		if strings.Contains(a, "Denied") || strings.HasPrefix(a, "2999") {
			t.Errorf("trust asked about %s, which is refused before", a)
		}
	}
}

// The sandbox's credentials are public constants: it listens on loopback
// only.
func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "[::]:0"} {
		if s, err := devaws.Start(t.Context(), devaws.Config{Addr: addr}); err == nil {
			s.Close()
			t.Errorf("%s accepted", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		s, err := devaws.Start(t.Context(), devaws.Config{Addr: addr})
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		s.Close()
	}
}

// Many callers at once: every creation gets its own id and account.
func TestConcurrentCreationsWithJournal(t *testing.T) {
	dir := t.TempDir()
	s := startSandbox(t, devaws.Config{Dir: dir})
	c := orgsClient(s)
	const n = 24
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := create(t, c, fmt.Sprintf("root%d@acme.example", i), ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	s.Close()
	s2 := startSandbox(t, devaws.Config{Dir: dir})
	reqs := s2.CreateRequests()
	seen := map[string]bool{}
	for _, r := range reqs {
		seen[r.ID] = true
	}
	if len(reqs) != n || len(seen) != n {
		t.Fatalf("after restart %d creations, %d distinct ids", len(reqs), len(seen))
	}
}
