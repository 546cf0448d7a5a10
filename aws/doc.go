// Package aws is acctflow's adapter to AWS Organizations (CreateAccount,
// DescribeCreateAccountStatus) and STS (AssumeRole, GetCallerIdentity).
//
// Credentials, region and endpoints come from the SDK's standard chain, so the
// usual variables work: AWS_PROFILE, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
// / AWS_SESSION_TOKEN, AWS_REGION (default us-east-1, where Organizations
// lives), AWS_ENDPOINT_URL_ORGANIZATIONS and AWS_ENDPOINT_URL_STS (point them
// at the devaws sandbox to run the binary against it).
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
