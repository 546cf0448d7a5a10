package aws

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// DefaultRegion is where the Organizations API lives; STS works from any
// region, so it is a safe default for both.
const DefaultRegion = "us-east-1"

// callTimeout bounds one HTTP call, so that a handler passing a long-lived
// context never hangs on a dead connection.
const callTimeout = 30 * time.Second

// Access says which AWS acctflow reaches. serve decides it once, at
// start-up, and handlers may act on it (a role cannot be checked with
// AccessNone: retrying will not change that).
type Access string

const (
	// AccessNone: no AWS settings and the sandbox turned off. Every AWS
	// call fails at once with "no credentials", without network.
	AccessNone Access = "none"
	// AccessReal: settings from the SDK's standard chain.
	AccessReal Access = "real"
	// AccessSandbox: the local AWS sandbox (package sandbox/devaws).
	AccessSandbox Access = "sandbox"
)

// Settings is what LoadSettings found.
type Settings struct {
	Config sdkaws.Config
	// Found names each AWS setting present — environment variable names,
	// the shared-config profile that holds credentials or endpoints —
	// never their values. Empty means no AWS configuration at all.
	Found []string
}

// Configured reports whether any AWS setting is present.
func (s Settings) Configured() bool { return len(s.Found) > 0 }

// imdsOptIn is the one setting that lets the SDK ask the EC2 instance
// metadata service (169.254.169.254) for credentials: explicitly
// AWS_EC2_METADATA_DISABLED=false. The SDK asks it by default; acctflow never
// does, so that an unconfigured process never reaches beyond loopback.
const imdsOptIn = "AWS_EC2_METADATA_DISABLED=false"

// settingEnv are the variables that give the SDK credentials or say where
// they come from. Region and retry settings alone are not access.
var settingEnv = []string{
	"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
}

// LoadSettings loads the SDK's standard configuration chain (environment,
// shared config and credentials files, SSO, web identity, containers, …)
// and names the settings it found. It reads the environment and files only:
// credentials are resolved on the first call, and the EC2 instance metadata
// service is never asked unless AWS_EC2_METADATA_DISABLED=false.
func LoadSettings(ctx context.Context) (Settings, error) {
	var opts []func(*config.LoadOptions) error
	if !imdsAllowed() {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return Settings{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	found := envSettings(os.Environ())
	for _, src := range cfg.ConfigSources {
		if sc, ok := src.(config.SharedConfig); ok && sharedConfigGivesAccess(sc) {
			found = append(found, "profile "+sc.Profile+" (shared config files)")
		}
	}
	return Settings{Config: cfg, Found: found}, nil
}

// LoadConfig is LoadSettings' configuration.
func LoadConfig(ctx context.Context) (sdkaws.Config, error) {
	s, err := LoadSettings(ctx)
	return s.Config, err
}

func imdsAllowed() bool {
	v, ok := os.LookupEnv("AWS_EC2_METADATA_DISABLED")
	return ok && strings.EqualFold(strings.TrimSpace(v), "false")
}

// envSettings names the AWS variables of environ that are set and not empty:
// credentials, profiles, web identity, container credentials, any
// AWS_ENDPOINT_URL*, and the IMDS opt-in.
func envSettings(environ []string) []string {
	var found []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if strings.TrimSpace(v) == "" {
			continue
		}
		switch {
		case slices.Contains(settingEnv, k), k == "AWS_ENDPOINT_URL", strings.HasPrefix(k, "AWS_ENDPOINT_URL_"):
			found = append(found, k)
		case k == "AWS_EC2_METADATA_DISABLED" && strings.EqualFold(strings.TrimSpace(v), "false"):
			found = append(found, imdsOptIn)
		}
	}
	slices.Sort(found)
	return found
}

// sharedConfigGivesAccess reports whether the profile loaded from the shared
// files holds credentials, a way to get them, or endpoints. A profile with
// only a region (or none at all: the default profile may be absent) does
// not.
func sharedConfigGivesAccess(sc config.SharedConfig) bool {
	return sc.Credentials.HasKeys() || sc.Credentials.AccessKeyID != "" ||
		sc.CredentialProcess != "" || sc.CredentialSource != "" || sc.WebIdentityTokenFile != "" ||
		sc.RoleARN != "" || sc.SourceProfileName != "" ||
		sc.SSOSessionName != "" || sc.SSOStartURL != "" || sc.SSOAccountID != "" || sc.LoginSession != "" ||
		sc.BaseEndpoint != "" || len(sc.Services.ServiceValues) > 0
}

// noRetries is applied to every client: see the package comment for why.
func noRetries(retryer *sdkaws.Retryer, maxAttempts *int) {
	*retryer = sdkaws.NopRetryer{}
	*maxAttempts = 0
}
