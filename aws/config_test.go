package aws

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/sandbox/devaws"
)

// isolateEnv keeps the machine's own AWS setup out of the standard chain.
func isolateEnv(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
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
