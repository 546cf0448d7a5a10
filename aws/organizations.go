package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/acctflow/acctflow/retry"
)

// DefaultRoleName is the role AWS creates in a new member account for the
// management account (--aws-role-name).
const DefaultRoleName = "OrganizationAccountAccessRole"

// States of an account creation request.
const (
	StateInProgress = "IN_PROGRESS"
	StateSucceeded  = "SUCCEEDED"
	StateFailed     = "FAILED"
)

const (
	maxTags        = 50 // AWS's limit per resource
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// Organizations calls the AWS Organizations API, one HTTP call per method.
type Organizations struct {
	client *organizations.Client
}

// NewOrganizations builds the client from cfg (see LoadConfig), with the
// SDK's retries disabled.
func NewOrganizations(cfg sdkaws.Config) *Organizations {
	return &Organizations{client: organizations.NewFromConfig(cfg, func(o *organizations.Options) {
		if o.Region == "" {
			o.Region = DefaultRegion
		}
		noRetries(&o.Retryer, &o.RetryMaxAttempts)
	})}
}

// CreateInput is what CreateAccount sends. AccountName must be what
// AccountName(nickname) returns (anything else is rejected); RoleName
// defaults to DefaultRoleName; Tags carry the request, reseller and customer
// ids.
type CreateInput struct {
	Email, AccountName, RoleName string
	Tags                         map[string]string
}

// CreateAccount starts the creation of a member account (one call, never
// retried here) and returns the creation request id ("car-…"). It is not
// idempotent on AWS's side: callers record the returned id before anything
// else.
func (o *Organizations) CreateAccount(ctx context.Context, in CreateInput) (string, error) {
	req, err := in.request()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := o.client.CreateAccount(ctx, req)
	if err != nil {
		return "", classify("creating AWS account", err)
	}
	if out.CreateAccountStatus == nil || !validCarID(sdkaws.ToString(out.CreateAccountStatus.Id)) {
		return "", fmt.Errorf("creating AWS account: the answer carries no valid request id")
	}
	return *out.CreateAccountStatus.Id, nil
}

func (in CreateInput) request() (*organizations.CreateAccountInput, error) {
	if err := CheckEmail(in.Email); err != nil {
		return nil, err
	}
	if in.AccountName == "" || AccountName(in.AccountName) != in.AccountName {
		return nil, rejected(RejectInvalidAccountName, fmt.Sprintf(
			"the account name %s cannot be used: AWS needs 1 to 50 characters of plain ASCII; please reply with another account nickname", clip(in.AccountName, 80)))
	}
	role := in.RoleName
	if role == "" {
		role = DefaultRoleName
	}
	if len(role) > maxRoleName || !isRoleName(role) {
		return nil, retry.Permanent(fmt.Errorf("creating AWS account: role name %s is not a valid IAM role name (--aws-role-name)", clip(role, 80)))
	}
	tags, err := toTags(in.Tags)
	if err != nil {
		return nil, err
	}
	return &organizations.CreateAccountInput{
		Email:                  sdkaws.String(in.Email),
		AccountName:            sdkaws.String(in.AccountName),
		RoleName:               sdkaws.String(role),
		IamUserAccessToBilling: types.IAMUserAccessToBillingAllow,
		Tags:                   tags,
	}, nil
}

// toTags converts tags in key order, so that the request body is
// deterministic.
func toTags(m map[string]string) ([]types.Tag, error) {
	if len(m) > maxTags {
		return nil, retry.Permanent(fmt.Errorf("creating AWS account: %d tags, AWS allows %d", len(m), maxTags))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	tags := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		v := m[k]
		if k == "" || len(k) > maxTagKeyLen || len(v) > maxTagValueLen || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, retry.Permanent(fmt.Errorf("creating AWS account: tag %s=%s breaks AWS's tag rules (key 1–128, value ≤ 256, no aws: prefix)", clip(k, 40), clip(v, 40)))
		}
		tags = append(tags, types.Tag{Key: sdkaws.String(k), Value: sdkaws.String(v)})
	}
	return tags, nil
}

// CreateStatus is the state of one account creation request.
type CreateStatus struct {
	State         string // StateInProgress, StateSucceeded or StateFailed
	AccountID     string // 12 digits, when SUCCEEDED
	FailureReason string // AWS's enum value, when FAILED; see Explain
}

// Status asks AWS once how a creation request is doing.
func (o *Organizations) Status(ctx context.Context, carID string) (CreateStatus, error) {
	if !validCarID(carID) {
		return CreateStatus{}, retry.Permanent(fmt.Errorf("describing account creation: %s is not a creation request id (car-…)", clip(carID, 40)))
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := o.client.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{
		CreateAccountRequestId: sdkaws.String(carID),
	})
	if err != nil {
		return CreateStatus{}, classify("describing account creation "+carID, err)
	}
	if out.CreateAccountStatus == nil {
		return CreateStatus{}, fmt.Errorf("describing account creation %s: the answer carries no status", carID)
	}
	s := out.CreateAccountStatus
	st := CreateStatus{State: string(s.State)}
	switch st.State {
	case StateInProgress:
	case StateSucceeded:
		st.AccountID = sdkaws.ToString(s.AccountId)
		if !isDigits(st.AccountID, 12) {
			return CreateStatus{}, fmt.Errorf("describing account creation %s: SUCCEEDED without a 12-digit account id (got %s)", carID, clip(st.AccountID, 40))
		}
	case StateFailed:
		st.FailureReason = sanitizeReason(string(s.FailureReason))
	default:
		return CreateStatus{}, fmt.Errorf("describing account creation %s: unknown state %s", carID, clip(st.State, 40))
	}
	return st, nil
}

// ErrInProgress is returned by Await when the policy runs out before AWS
// finishes; it is temporary.
var ErrInProgress = errors.New("account creation still in progress")

// Await polls Status under p until the request leaves IN_PROGRESS, riding
// out temporary errors. Accounts usually take a few minutes: give p a Max of
// tens of seconds and no Attempts limit, and bound it with ctx.
func (o *Organizations) Await(ctx context.Context, carID string, p retry.Policy) (CreateStatus, error) {
	var last CreateStatus
	err := retry.Do(ctx, p, func(ctx context.Context) error {
		st, err := o.Status(ctx, carID)
		if err != nil {
			return err
		}
		last = st
		if st.State == StateInProgress {
			return fmt.Errorf("awaiting %s: %w", carID, ErrInProgress)
		}
		return nil
	})
	if err != nil {
		return last, err
	}
	return last, nil
}

// validCarID checks AWS's pattern: "car-" and 8 to 32 lower-case letters or
// digits.
func validCarID(s string) bool {
	rest, ok := strings.CutPrefix(s, "car-")
	if !ok || len(rest) < 8 || len(rest) > 32 {
		return false
	}
	for _, c := range []byte(rest) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
