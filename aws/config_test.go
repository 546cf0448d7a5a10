package aws

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/acctflow/acctflow/sandbox/devaws"
)

// isolateEnv keeps the machine's own AWS setup out of the standard chain:
// every AWS_ variable is emptied (the SDK and LoadSettings treat empty as
// unset), the shared files point at an empty directory, and IMDS is off.
func isolateEnv(t *testing.T) string {
	dir := t.TempDir()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

// The documented variables point the standard chain, and so the binary, at
// the fake.
func TestLoadConfigFromEnvReachesFake(t *testing.T) {
	isolateEnv(t)
	f := devaws.NewServer()
	t.Cleanup(f.Close)
	for _, kv := range f.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_MAX_ATTEMPTS", "5") // must not bring SDK retries back
	cfg, err := LoadConfig(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	f.FailNext(1, "TooManyRequestsException")
	_, err = NewOrganizations(cfg).CreateAccount(testCtx(t), sampleInput)
	mustTemporary(t, err)
	if _, err := NewOrganizations(cfg).CreateAccount(testCtx(t), sampleInput); err != nil {
		t.Fatal(err)
	}
	if f.Calls("CreateAccount") != 2 || f.CreateCalls() != 1 {
		t.Fatalf("calls %d, accepted %d", f.Calls("CreateAccount"), f.CreateCalls())
	}
	f.AddRole(customerRole, externalID)
	if _, err := NewSTS(cfg).ValidateRole(testCtx(t), customerRole, externalID); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfigDefaultsRegion(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	cfg, err := LoadConfig(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != DefaultRegion {
		t.Fatalf("region %q", cfg.Region)
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	if cfg, err := LoadConfig(testCtx(t)); err != nil || cfg.Region != "eu-west-1" {
		t.Fatalf("explicit region: %q, %v", cfg.Region, err)
	}
}

// Which settings count as AWS configuration: anything that gives
// credentials, says where they come from, or names an endpoint; a region
// alone does not.
func TestLoadSettingsFindsEverySource(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		config string // shared config file
		creds  string // shared credentials file
		want   string // Found, joined by ","; "error" for a load error
	}{
		{name: "nothing", want: ""},
		{name: "region only", env: map[string]string{"AWS_REGION": "eu-west-1", "AWS_MAX_ATTEMPTS": "3"}, config: "[default]\nregion = eu-west-1\n", want: ""},
		{name: "IMDS explicitly off", env: map[string]string{"AWS_EC2_METADATA_DISABLED": "true"}, want: ""},
		{name: "access key", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE"}, want: "AWS_ACCESS_KEY_ID"},
		{name: "key pair", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s"}, want: "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY"},
		{name: "STS endpoint", env: map[string]string{"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1"}, want: "AWS_ENDPOINT_URL_STS"},
		{name: "global endpoint", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, want: "AWS_ENDPOINT_URL"},
		{name: "web identity", env: map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/x", "AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent"}, want: "AWS_ROLE_ARN,AWS_WEB_IDENTITY_TOKEN_FILE"},
		{name: "container", env: map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/creds"}, want: "AWS_CONTAINER_CREDENTIALS_FULL_URI"},
		{name: "instance role opt-in", env: map[string]string{"AWS_EC2_METADATA_DISABLED": "false"}, want: imdsOptIn},
		{name: "profile", env: map[string]string{"AWS_PROFILE": "dev"}, config: "[profile dev]\naws_access_key_id = AKID\naws_secret_access_key = s\n", want: "AWS_PROFILE,profile dev (shared config files)"},
		{name: "profile with only a region", env: map[string]string{"AWS_PROFILE": "dev"}, config: "[profile dev]\nregion = eu-west-1\n", want: "AWS_PROFILE"},
		{name: "missing profile", env: map[string]string{"AWS_PROFILE": "nope"}, want: "error"},
		{name: "default credentials file", creds: "[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n", want: "profile default (shared config files)"},
		{name: "SSO", config: "[default]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n", want: "profile default (shared config files)"},
		{name: "credential process", config: "[default]\ncredential_process = /bin/false\n", want: "profile default (shared config files)"},
		{name: "assume role profile", config: "[default]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = Environment\n", want: "profile default (shared config files)"},
		{name: "endpoint in config", config: "[default]\nservices = local\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:1\n", want: "profile default (shared config files)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := isolateEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			for name, content := range map[string]string{"config": tc.config, "credentials": tc.creds} {
				if content != "" {
					if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			s, err := LoadSettings(testCtx(t))
			got := strings.Join(s.Found, ",")
			if err != nil {
				got = "error"
			}
			if got != tc.want {
				t.Fatalf("found %q (err %v), want %q", got, err, tc.want)
			}
			if s.Configured() != (got != "" && got != "error") {
				t.Fatalf("Configured() = %v with %q", s.Configured(), got)
			}
		})
	}
}

// imdsProbe is a loopback stand-in for 169.254.169.254 that counts what
// reaches it, so that a test can tell whether the SDK asked IMDS without any
// packet leaving the machine.
func imdsProbe(t *testing.T) *atomic.Int64 {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.Error(w, "no", http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
	return &hits
}

// With nothing configured, neither loading nor using the configuration asks
// the EC2 instance metadata service; AWS_EC2_METADATA_DISABLED=false is the
// one way to let it (and the probe sees that, so it would see a leak).
func TestNoIMDSUnlessOptedIn(t *testing.T) {
	isolateEnv(t)
	hits := imdsProbe(t)
	os.Unsetenv("AWS_EC2_METADATA_DISABLED") // restored by isolateEnv's t.Setenv
	t.Setenv("AWS_DEFAULTS_MODE", "auto")    // auto mode may ask IMDS for the region

	s, err := LoadSettings(testCtx(t))
	if err != nil || s.Configured() {
		t.Fatalf("nothing configured: found %v, err %v", s.Found, err)
	}
	if _, err := s.Config.Credentials.Retrieve(testCtx(t)); err == nil {
		t.Fatal("credentials from nowhere")
	}
	var sent atomic.Int64
	s.Config.HTTPClient = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		sent.Add(1)
		return nil, errors.New("no network in this test")
	})}
	if _, err := NewSTS(s.Config).ValidateRole(testCtx(t), customerRole, externalID); err == nil {
		t.Fatal("role validated without credentials")
	}
	if hits.Load() != 0 || sent.Load() != 0 {
		t.Fatalf("IMDS asked %d times, %d requests sent without credentials", hits.Load(), sent.Load())
	}

	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	s, err = LoadSettings(testCtx(t))
	if err != nil || !s.Configured() {
		t.Fatalf("opt-in: found %v, err %v", s.Found, err)
	}
	if _, err := s.Config.Credentials.Retrieve(testCtx(t)); err == nil {
		t.Fatal("the probe has no role to give")
	}
	if hits.Load() == 0 {
		t.Fatal("with the opt-in the SDK did not ask IMDS: the probe cannot see a leak")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
