package devaws

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The identity the sandbox accepts, standing for the distributor's
// management account.
const (
	AccessKeyID       = "AKIDACCTFLOWFAKE0001"
	SecretAccessKey   = "acctflow-fake-secret"
	ManagementAccount = "111122223333"
	CallerARN         = "arn:aws:iam::" + ManagementAccount + ":user/acctflow"
	Region            = "us-east-1"
)

const (
	orgsTargetPrefix = "AWSOrganizationsV20161128."
	stsVersion       = "2011-06-15"
	maxBody          = 1 << 20
	defaultPolls     = 1
)

// Server is one sandbox. All methods are safe for concurrent use.
type Server struct {
	URL string

	httpSrv *http.Server
	serving chan struct{} // closed when the accept loop has returned
	client  *http.Client
	signer  *v4.Signer
	log     *slog.Logger
	delay   time.Duration
	clock   func() time.Time
	journal *journal // nil: memory only

	closeOnce sync.Once

	mu        sync.Mutex
	prefix    string // random per sandbox (kept in Dir), so that ids never repeat across sandboxes
	seq       int
	polls     int
	trust     TrustFunc
	failFor   map[string]string // lower-cased email → FailureReason
	firstSeen map[string]bool   // lower-cased emails whose "first call" fault was served
	cars      map[string]*car
	accounts  map[string]*car   // account id → its successful creation
	owner     map[string]string // lower-cased email → account id that holds it
	roles     map[string]string // role ARN → required external id ("" = none)
	sessions  map[string]identity
	faults    []fault
	calls     map[string]int
	creates   []CreateRequest
	assumes   []AssumeRoleRequest
}

// NewServer starts an in-memory sandbox on a random loopback port for a
// test: creations finish on the first DescribeCreateAccountStatus after one
// IN_PROGRESS answer (see SetPolls), and only roles added with AddRole (or
// allowed by SetTrust) can be assumed. Close it when done.
func NewServer() *Server {
	s, err := Start(context.Background(), Config{})
	if err != nil {
		panic("devaws: starting a test sandbox: " + err.Error())
	}
	s.polls = defaultPolls
	return s
}

func newServer(cfg Config) *Server {
	return &Server{
		signer:    v4.NewSigner(),
		log:       cfg.Logger,
		delay:     cfg.CreateDelay,
		clock:     cfg.Now,
		trust:     cfg.Trust,
		prefix:    randHex(4),
		failFor:   map[string]string{},
		firstSeen: map[string]bool{},
		cars:      map[string]*car{},
		accounts:  map[string]*car{},
		owner:     map[string]string{},
		roles:     map[string]string{},
		sessions:  map[string]identity{},
		calls:     map[string]int{},
	}
}

// Config returns an SDK configuration pointed at the sandbox, signing with
// the accepted static credentials.
func (s *Server) Config() sdkaws.Config {
	return s.ConfigWithCredentials(AccessKeyID, SecretAccessKey)
}

// ConfigWithCredentials is Config with other credentials, to test what
// happens when AWS refuses them.
func (s *Server) ConfigWithCredentials(accessKeyID, secretAccessKey string) sdkaws.Config {
	creds := sdkaws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey, Source: "devaws"}
	return sdkaws.Config{
		Region:       Region,
		BaseEndpoint: sdkaws.String(s.URL),
		HTTPClient:   s.client,
		Credentials: sdkaws.CredentialsProviderFunc(func(context.Context) (sdkaws.Credentials, error) {
			return creds, nil
		}),
	}
}

// Env returns the environment (KEY=value) that points the SDK's standard
// chain, and so the acctflow binary, at the sandbox.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_ORGANIZATIONS=" + s.URL,
		"AWS_ENDPOINT_URL_STS=" + s.URL,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_REGION=" + Region,
	}
}

// Calls returns how many requests for op ("CreateAccount", "AssumeRole", …)
// reached the fake, including refused and fault-injected ones.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		http.Error(w, "devaws: only POST / is served", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "devaws: reading body: "+err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	p, op, form, werr := route(r, body)
	s.mu.Lock()
	s.calls[countedOp(op)]++
	s.mu.Unlock()
	if werr != nil {
		p.writeError(w, werr)
		return
	}
	caller, werr := s.authenticate(r, body, p)
	if werr != nil {
		p.writeError(w, werr)
		return
	}
	if f, ok := s.takeFault(); ok {
		s.writeFault(w, p, f)
		return
	}
	switch op {
	case "CreateAccount":
		s.createAccount(w, body)
	case "DescribeCreateAccountStatus":
		s.describeStatus(w, body)
	case "AssumeRole":
		s.assumeRole(r.Context(), w, caller, form)
	case "GetCallerIdentity":
		s.getCallerIdentity(w, caller)
	default:
		p.writeError(w, &wireError{status: 400, code: p.unknownOp, message: "operation " + op + " is not served by devaws"})
	}
}

// route tells the two protocols apart: Organizations names the operation in
// a header, STS in the form body.
func route(r *http.Request, body []byte) (protocol, string, url.Values, *wireError) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		op, ok := strings.CutPrefix(target, orgsTargetPrefix)
		if !ok {
			return orgs, "?", nil, &wireError{status: 400, code: "UnknownOperationException", message: "unknown target " + target}
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
			return orgs, op, nil, &wireError{status: 400, code: "SerializationException", message: "Content-Type must be application/x-amz-json-1.1, got " + ct}
		}
		return orgs, op, nil, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return sts, "?", nil, &wireError{status: 400, code: "MalformedQueryString", message: err.Error()}
	}
	op := form.Get("Action")
	if op == "" {
		op = "?"
	}
	if v := form.Get("Version"); v != stsVersion {
		return sts, op, nil, &wireError{status: 400, code: "InvalidAction", message: "Version must be " + stsVersion}
	}
	return sts, op, form, nil
}

// countedOp keeps the call counters bounded whatever names clients send.
func countedOp(op string) string {
	switch op {
	case "CreateAccount", "DescribeCreateAccountStatus", "AssumeRole", "GetCallerIdentity":
		return op
	}
	return "?"
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func now() time.Time { return time.Now().UTC() }
