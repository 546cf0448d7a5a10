package devaws_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/acctflow/acctflow/sandbox/devaws"
)

func start(t *testing.T) *devaws.Server {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // no test may ask IMDS, even by mistake
	f := devaws.NewServer()
	t.Cleanup(f.Close)
	return f
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

var baseCreds = sdkaws.Credentials{AccessKeyID: devaws.AccessKeyID, SecretAccessKey: devaws.SecretAccessKey}

// send posts body to the fake, signed for service at signedAt unless creds
// is nil, and after calling tamper (which may change the request after
// signing). It returns status and body.
func send(t *testing.T, f *devaws.Server, target, body string, creds *sdkaws.Credentials, service string, signedAt time.Time, tamper func(*http.Request)) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, f.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if creds != nil {
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(ctx(t), *creds, req, hex.EncodeToString(sum[:]), service, devaws.Region, signedAt); err != nil {
			t.Fatal(err)
		}
	}
	if tamper != nil {
		tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const createBody = `{"Email":"root@acme.example","AccountName":"Acme"}`

func TestSignatureIsVerified(t *testing.T) {
	f := start(t)
	target := "AWSOrganizationsV20161128.CreateAccount"
	now := time.Now()
	cases := []struct {
		name   string
		creds  *sdkaws.Credentials
		svc    string
		at     time.Time
		tamper func(*http.Request)
		code   string
	}{
		{"unsigned", nil, "organizations", now, nil, "MissingAuthenticationTokenException"},
		{"unknown key", &sdkaws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: "x"}, "organizations", now, nil, "UnrecognizedClientException"},
		{"wrong secret", &sdkaws.Credentials{AccessKeyID: devaws.AccessKeyID, SecretAccessKey: "x"}, "organizations", now, nil, "InvalidSignatureException"},
		{"signed for sts", &baseCreds, "sts", now, nil, "InvalidSignatureException"},
		{"stale", &baseCreds, "organizations", now.Add(-20 * time.Minute), nil, "InvalidSignatureException"},
		{"body changed after signing", &baseCreds, "organizations", now, func(r *http.Request) {
			b := strings.Replace(createBody, "Acme", "Evil", 1)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(b)), int64(len(b))
		}, "InvalidSignatureException"},
		{"signed header changed", &baseCreds, "organizations", now, func(r *http.Request) {
			r.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128.DescribeCreateAccountStatus")
		}, "InvalidSignatureException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := send(t, f, target, createBody, c.creds, c.svc, c.at, c.tamper)
			if status != http.StatusForbidden || !strings.Contains(body, `"__type":"`+c.code+`"`) {
				t.Fatalf("%d %s", status, body)
			}
		})
	}
	if f.CreateCalls() != 0 {
		t.Fatal("a refused request created an account")
	}
	// The same request, properly signed, goes through.
	if status, body := send(t, f, target, createBody, &baseCreds, "organizations", now, nil); status != 200 || !strings.Contains(body, `"State":"IN_PROGRESS"`) {
		t.Fatalf("%d %s", status, body)
	}
}

// The aws CLI (botocore) signs content-type;host;x-amz-date;x-amz-target and
// not content-length, which the Go SDK adds: the signature is checked over
// the headers the client says it signed.
func TestSignatureOverTheClientsSignedHeaders(t *testing.T) {
	f := start(t)
	status, body := send(t, f, "AWSOrganizationsV20161128.CreateAccount", createBody, nil, "", time.Time{}, func(r *http.Request) {
		unsignedLength := r.Clone(r.Context())
		unsignedLength.ContentLength = 0
		sum := sha256.Sum256([]byte(createBody))
		if err := v4.NewSigner().SignHTTP(ctx(t), baseCreds, unsignedLength, hex.EncodeToString(sum[:]), "organizations", devaws.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
		if a := unsignedLength.Header.Get("Authorization"); !strings.Contains(a, "SignedHeaders=content-type;host;x-amz-date;x-amz-target,") {
			t.Fatalf("signed as %s", a)
		}
		r.Header = unsignedLength.Header
	})
	if status != 200 || !strings.Contains(body, `"State":"IN_PROGRESS"`) {
		t.Fatalf("%d %s", status, body)
	}
}

func TestProtocolErrors(t *testing.T) {
	f := start(t)
	now := time.Now()
	status, body := send(t, f, "AWSOrganizationsV20161128.DeleteOrganization", "{}", &baseCreds, "organizations", now, nil)
	if status != 400 || !strings.Contains(body, "UnknownOperationException") {
		t.Fatalf("unknown op: %d %s", status, body)
	}
	status, body = send(t, f, "AWSOrganizationsV20161128.CreateAccount", `{"Email":"a@b.example","Bogus":1}`, &baseCreds, "organizations", now, nil)
	if status != 400 || !strings.Contains(body, "SerializationException") {
		t.Fatalf("unknown field: %d %s", status, body)
	}
	status, body = send(t, f, "", "Action=DecodeAuthorizationMessage&Version=2011-06-15", &baseCreds, "sts", now, nil)
	if status != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") || !strings.Contains(body, "<ErrorResponse") {
		t.Fatalf("unknown STS action: %d %s", status, body)
	}
	status, body = send(t, f, "", "Action=GetCallerIdentity", &baseCreds, "sts", now, nil)
	if status != 400 || !strings.Contains(body, "InvalidAction") {
		t.Fatalf("missing version: %d %s", status, body)
	}
}

func TestCreateAccountValidationThroughSDK(t *testing.T) {
	f := start(t)
	c := organizations.NewFromConfig(f.Config(), func(o *organizations.Options) { o.Retryer = sdkaws.NopRetryer{} })
	_, err := c.CreateAccount(ctx(t), &organizations.CreateAccountInput{
		Email: sdkaws.String("root@acme.example"), AccountName: sdkaws.String(strings.Repeat("n", 51)),
	})
	var iie *orgtypes.InvalidInputException
	if !errors.As(err, &iie) || iie.Reason != "INVALID_INPUT" {
		t.Fatalf("want InvalidInputException with a reason, got %v", err)
	}
	_, err = c.DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: sdkaws.String("car-00000000")})
	var nf *orgtypes.CreateAccountStatusNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("want CreateAccountStatusNotFoundException, got %v", err)
	}
}

func TestInjectedFaultsDecodeAsModelledErrors(t *testing.T) {
	f := start(t)
	c := organizations.NewFromConfig(f.Config(), func(o *organizations.Options) { o.Retryer = sdkaws.NopRetryer{} })
	in := &organizations.CreateAccountInput{Email: sdkaws.String("root@acme.example"), AccountName: sdkaws.String("Acme")}
	f.FailNext(1, "ConcurrentModificationException")
	f.FailNext(1, "TooManyRequestsException")
	f.FailNext(1, "500")
	_, err := c.CreateAccount(ctx(t), in)
	var cme *orgtypes.ConcurrentModificationException
	if !errors.As(err, &cme) {
		t.Fatalf("want ConcurrentModificationException, got %v", err)
	}
	_, err = c.CreateAccount(ctx(t), in)
	var tmr *orgtypes.TooManyRequestsException
	if !errors.As(err, &tmr) {
		t.Fatalf("want TooManyRequestsException, got %v", err)
	}
	_, err = c.CreateAccount(ctx(t), in)
	var se *orgtypes.ServiceException
	if !errors.As(err, &se) {
		t.Fatalf("want ServiceException, got %v", err)
	}

	s := sts.NewFromConfig(f.Config(), func(o *sts.Options) { o.Retryer = sdkaws.NopRetryer{} })
	f.FailNext(1, "ThrottlingException")
	_, err = s.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) || coded.ErrorCode() != "Throttling" {
		t.Fatalf("STS throttling: %v", err)
	}
}

func TestTemporaryCredentialsNeedTheirToken(t *testing.T) {
	f := start(t)
	role := "arn:aws:iam::222233334444:role/AcctflowAccess"
	f.AddRole(role, "ext-1")
	s := sts.NewFromConfig(f.Config())
	out, err := s.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: sdkaws.String(role), RoleSessionName: sdkaws.String("test"), ExternalId: sdkaws.String("ext-1")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Credentials.Expiration == nil || time.Until(*out.Credentials.Expiration) < 50*time.Minute {
		t.Fatalf("expiration %v", out.Credentials.Expiration)
	}
	withToken := sdkaws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
	noToken := withToken
	noToken.SessionToken = ""
	now := time.Now()
	if status, body := send(t, f, "", "Action=GetCallerIdentity&Version=2011-06-15", &noToken, "sts", now, nil); status != 403 || !strings.Contains(body, "InvalidClientTokenId") {
		t.Fatalf("without token: %d %s", status, body)
	}
	status, body := send(t, f, "", "Action=GetCallerIdentity&Version=2011-06-15", &withToken, "sts", now, nil)
	if status != 200 || !strings.Contains(body, "<Arn>arn:aws:sts::222233334444:assumed-role/AcctflowAccess/test</Arn>") {
		t.Fatalf("with token: %d %s", status, body)
	}
}

func TestAssumeRoleRules(t *testing.T) {
	f := start(t)
	role := "arn:aws:iam::222233334444:role/AcctflowAccess"
	open := "arn:aws:iam::222233334444:role/NoExternalId"
	f.AddRole(role, "ext-1")
	f.AddRole(open, "")
	s := sts.NewFromConfig(f.Config(), func(o *sts.Options) { o.Retryer = sdkaws.NopRetryer{} })
	try := func(arn, ext string, secs int32) string {
		in := &sts.AssumeRoleInput{RoleArn: sdkaws.String(arn), RoleSessionName: sdkaws.String("acctflow-validation"), DurationSeconds: sdkaws.Int32(secs)}
		if ext != "" {
			in.ExternalId = sdkaws.String(ext)
		}
		_, err := s.AssumeRole(ctx(t), in)
		var coded interface{ ErrorCode() string }
		if errors.As(err, &coded) {
			return coded.ErrorCode()
		}
		if err != nil {
			return err.Error()
		}
		return "ok"
	}
	for _, c := range []struct {
		arn, ext string
		secs     int32
		want     string
	}{
		{role, "ext-1", 900, "ok"},
		{role, "ext-2", 900, "AccessDenied"},
		{role, "", 900, "AccessDenied"},
		{open, "", 900, "ok"},
		{open, "anything", 900, "ok"},
		{"arn:aws:iam::222233334444:role/Missing", "ext-1", 900, "AccessDenied"},
		{role, "ext-1", 899, "ValidationError"},
		{role, "ext-1", 7200, "ValidationError"},
	} {
		if got := try(c.arn, c.ext, c.secs); got != c.want {
			t.Errorf("AssumeRole(%s, %q, %d) = %s, want %s", c.arn, c.ext, c.secs, got, c.want)
		}
	}
	if got := len(f.AssumeRoleRequests()); got != 6 {
		t.Fatalf("recorded %d valid AssumeRole calls, want 6", got)
	}
}

func TestConcurrentCreations(t *testing.T) {
	f := start(t)
	f.SetPolls(0)
	c := organizations.NewFromConfig(f.Config())
	const n = 16
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out, err := c.CreateAccount(ctx(t), &organizations.CreateAccountInput{
				Email: sdkaws.String(fmt.Sprintf("root%d@acme.example", i)), AccountName: sdkaws.String("Acme"),
				Tags: []orgtypes.Tag{{Key: sdkaws.String("acctflow:request-id"), Value: sdkaws.String(fmt.Sprint(i))}},
			})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = *out.CreateAccountStatus.Id
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		out, err := c.DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: sdkaws.String(id)})
		if err != nil || out.CreateAccountStatus.State != orgtypes.CreateAccountStateSucceeded || len(sdkaws.ToString(out.CreateAccountStatus.AccountId)) != 12 {
			t.Fatalf("%s: %+v %v", id, out, err)
		}
		if acct, ok := f.AccountFor(fmt.Sprintf("root%d@acme.example", i)); !ok || acct != *out.CreateAccountStatus.AccountId {
			t.Fatalf("AccountFor: %q %v", acct, ok)
		}
	}
	if f.CreateCalls() != n {
		t.Fatalf("CreateCalls = %d", f.CreateCalls())
	}
	reqs := f.CreateRequests()
	reqs[0].Tags["mutated"] = "x"
	if _, leaked := f.CreateRequests()[0].Tags["mutated"]; leaked {
		t.Fatal("CreateRequests shares its maps")
	}
}

func TestTimestampsAreEpochSeconds(t *testing.T) {
	f := start(t)
	status, body := send(t, f, "AWSOrganizationsV20161128.CreateAccount", createBody, &baseCreds, "organizations", time.Now(), nil)
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	var out struct{ CreateAccountStatus map[string]any }
	if err := json.NewDecoder(bytes.NewReader([]byte(body))).Decode(&out); err != nil {
		t.Fatal(err)
	}
	ts, ok := out.CreateAccountStatus["RequestedTimestamp"].(float64)
	if !ok || time.Since(time.Unix(int64(ts), 0)) > time.Minute {
		t.Fatalf("RequestedTimestamp %v", out.CreateAccountStatus["RequestedTimestamp"])
	}
}
