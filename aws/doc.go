// Package aws is acctflow's adapter to AWS Organizations (CreateAccount,
// DescribeCreateAccountStatus) and STS (AssumeRole, GetCallerIdentity).
//
// Credentials, region and endpoints come from the SDK's standard chain, so the
// usual variables work: AWS_PROFILE, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
// / AWS_SESSION_TOKEN, AWS_REGION (default us-east-1, where Organizations
// lives), AWS_ENDPOINT_URL_ORGANIZATIONS and AWS_ENDPOINT_URL_STS (point them
// at the devaws sandbox to run the binary against it).
//
// acctflow never asks the EC2 instance metadata service (169.254.169.254),
// which the SDK would by default when nothing else gives credentials: an
// unconfigured process must not reach beyond loopback. On EC2 with an
// instance role, opt in with AWS_EC2_METADATA_DISABLED=false. LoadSettings
// names the AWS settings present (reading the environment and shared files,
// never the network); with none, `acctflow serve` starts the AWS sandbox
// (package sandbox/devaws) instead, and Access says which AWS is in use.
//
// Errors are classified with package retry at this edge, in one place
// (classify.go): throttling, concurrent modification, 5xx and network errors
// are plain (temporary) errors, with retry.After when AWS sends Retry-After;
// everything retrying cannot fix is retry.Permanent with a message ops can act
// on. Problems the reseller must fix (bad Role ARN, trust policy, root email,
// nickname) are a *RejectedError inside the permanent error.
//
// The SDK's own retries are disabled (aws.NopRetryer): CreateAccount has no
// client token, so a silent SDK retry after a lost response could start a
// second creation for the same email; the SDK's retry quota would surface as
// its own error codes; and retries hidden in the client would multiply with
// the caller's retry.Do. Each method makes exactly one HTTP call, bounded by
// callTimeout, and the caller's policy decides what happens next.
package aws
