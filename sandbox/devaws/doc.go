// Package devaws is the AWS sandbox: AWS Organizations (CreateAccount,
// DescribeCreateAccountStatus) and STS (AssumeRole, GetCallerIdentity)
// served on loopback, speaking the real wire protocols, so that the real SDK
// and package aws run against it unchanged. `acctflow serve` starts it (Start)
// when no AWS configuration is present; tests start one per test
// (NewServer).
//
// # Wire
//
// Organizations: POST / with X-Amz-Target AWSOrganizationsV20161128.CreateAccount
// or .DescribeCreateAccountStatus, JSON 1.1 bodies, errors as {"__type": …}.
// STS: POST / with a form body Action=AssumeRole or GetCallerIdentity
// (Version 2011-06-15), XML answers and XML ErrorResponse errors. Every
// request must carry a valid SigV4 signature by AccessKeyID/SecretAccessKey
// or by credentials the sandbox issued through AssumeRole; the signature is
// recomputed, not just looked at.
//
// # Account creation
//
// A creation stays IN_PROGRESS for Config.CreateDelay (and, for tests, for
// SetPolls DescribeCreateAccountStatus calls), then reaches its final state.
// Account ids are "2" and the creation's sequence number in 11 digits
// (200000000001, 200000000002, …): deterministic per creation, never reused
// by one sandbox, and kept across restarts with Config.Dir. The outcome is
// chosen by the root email (case-insensitive; the first token found wins):
//
//	root email contains  CreateAccount answers                    final state
//	+fail-exists         accepted                                 FAILED, EMAIL_ALREADY_EXISTS
//	+fail-invalid        accepted                                 FAILED, INVALID_EMAIL
//	+fail-limit          accepted                                 FAILED, ACCOUNT_LIMIT_EXCEEDED
//	+fail-internal       accepted                                 FAILED, INTERNAL_FAILURE
//	+fail-validation     accepted                                 FAILED, PENDING_BUSINESS_VALIDATION
//	+throttle            first call: TooManyRequestsException      SUCCEEDED (after the retry)
//	                     (Organizations' throttling error)
//	+busy                first call: ConcurrentModificationException  SUCCEEDED (after the retry)
//	+slow                accepted                                 SUCCEEDED after 10 × CreateDelay
//	anything else        accepted                                 SUCCEEDED with a new account id
//
// As on AWS, an address that an earlier successful creation holds fails
// with EMAIL_ALREADY_EXISTS, an address breaking AWS's rules with
// INVALID_EMAIL, and input AWS refuses synchronously (AccountName over 50
// characters, bad tags, …) gets InvalidInputException. The "first call"
// faults are remembered in memory only: after a restart an address throttles
// once more.
//
// # Roles
//
// AssumeRole of arn:aws:iam::<account>:role/<name> succeeds when the account
// is one the sandbox created (its creation has finished) and the external id
// sent is the one Config.Trust says the role requires — the sandbox stands in
// for the customer who created the role as acctflow's follow-up email asked.
// It is refused with AccessDenied, as AWS refuses, for an account the sandbox
// does not know, a wrong or missing external id, and a role name containing
// "Denied". Roles registered with AddRole (tests) are granted by their own
// external id. The temporary credentials AssumeRole issues work for
// GetCallerIdentity and live in memory only.
//
// # State
//
// With Config.Dir every accepted creation is appended to
// <Dir>/creations.jsonl before CreateAccount answers, so creations, account
// ids and the addresses they hold survive a restart (a killed process at
// worst loses a creation whose answer never left). Without Dir everything is
// in memory.
//
// # Pointing the binary at a test sandbox
//
// Set the variables Env returns:
//
//	AWS_ENDPOINT_URL_ORGANIZATIONS=<URL>  AWS_ENDPOINT_URL_STS=<URL>
//	AWS_ACCESS_KEY_ID=AKIDACCTFLOWFAKE0001  AWS_SECRET_ACCESS_KEY=acctflow-fake-secret
//	AWS_REGION=us-east-1
//
// (and unset AWS_PROFILE and AWS_SESSION_TOKEN).
package devaws
