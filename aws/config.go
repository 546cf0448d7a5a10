package aws

import (
	"context"
	"fmt"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// DefaultRegion is where the Organizations API lives; STS works from any
// region, so it is a safe default for both.
const DefaultRegion = "us-east-1"

// callTimeout bounds one HTTP call, so that a handler passing a long-lived
// context never hangs on a dead connection.
const callTimeout = 30 * time.Second

// LoadConfig loads the SDK's standard configuration chain (environment,
// shared config and credentials files, SSO, IMDS, …). Credentials are only
// resolved on the first call, so a missing profile shows up there.
func LoadConfig(ctx context.Context) (sdkaws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return sdkaws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return cfg, nil
}

// noRetries is applied to every client: see the package comment for why.
func noRetries(retryer *sdkaws.Retryer, maxAttempts *int) {
	*retryer = sdkaws.NopRetryer{}
	*maxAttempts = 0
}
