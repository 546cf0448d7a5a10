package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/acctflow/acctflow/retry"
)

const (
	// SessionName names the short session opened to prove the role works;
	// it shows in the customer's CloudTrail.
	SessionName = "acctflow-validation"
	// sessionSeconds is the shortest session STS grants: the credentials
	// are used for one call and thrown away.
	sessionSeconds = 900
)

// STS validates a reseller's role by assuming it.
type STS struct {
	client *sts.Client

	mu   sync.Mutex
	self string // our own account id, learnt on the first AccessDenied
}

// NewSTS builds the client from cfg (see LoadConfig), with the SDK's retries
// disabled.
func NewSTS(cfg sdkaws.Config) *STS {
	return &STS{client: sts.NewFromConfig(cfg, func(o *sts.Options) {
		if o.Region == "" {
			o.Region = DefaultRegion
		}
		noRetries(&o.Retryer, &o.RetryMaxAttempts)
	})}
}

// ValidateRole assumes roleARN with externalID (short session named
// SessionName), then calls GetCallerIdentity with the credentials it got, and
// returns the assumed identity's ARN. A role the reseller has to fix is a
// *RejectedError (inside retry.Permanent) saying what to change; the account
// id check against the created account is RoleARN.CheckAccount, done before.
func (s *STS) ValidateRole(ctx context.Context, roleARN, externalID string) (string, error) {
	role, err := ParseRoleARN(roleARN)
	if err != nil {
		return "", err
	}
	if !validExternalID(externalID) {
		return "", retry.Permanent(fmt.Errorf("validating role %s: the stored external id is not valid for STS (2–1224 of [\\w+=,.@:/-])", role))
	}
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.client.AssumeRole(callCtx, &sts.AssumeRoleInput{
		RoleArn:         sdkaws.String(role.String()),
		RoleSessionName: sdkaws.String(SessionName),
		ExternalId:      sdkaws.String(externalID),
		DurationSeconds: sdkaws.Int32(sessionSeconds),
	})
	if err != nil {
		if code := errorCode(err); code == "AccessDenied" || code == "AccessDeniedException" {
			return "", s.denied(ctx, role, externalID, err)
		}
		return "", classify("assuming role "+role.String(), err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil {
		return "", fmt.Errorf("assuming role %s: the answer carries no credentials", role)
	}
	creds := sdkaws.Credentials{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: *c.SecretAccessKey,
		SessionToken:    *c.SessionToken,
		Source:          "AssumeRole " + role.String(),
	}
	callCtx2, cancel2 := context.WithTimeout(ctx, callTimeout)
	defer cancel2()
	id, err := s.client.GetCallerIdentity(callCtx2, &sts.GetCallerIdentityInput{}, func(o *sts.Options) {
		o.Credentials = sdkaws.CredentialsProviderFunc(func(context.Context) (sdkaws.Credentials, error) { return creds, nil })
	})
	if err != nil {
		return "", classify("checking the identity of assumed role "+role.String(), err)
	}
	arn, account := sdkaws.ToString(id.Arn), sdkaws.ToString(id.Account)
	if account != role.AccountID || !strings.HasPrefix(arn, "arn:") || len(arn) > maxARNLen {
		return "", retry.Permanent(fmt.Errorf("checking the identity of assumed role %s: STS answered account %s, ARN %s",
			role, clip(account, 32), clip(arn, 160)))
	}
	return arn, nil
}

// denied explains an AccessDenied on AssumeRole in terms the reseller can act
// on: AWS says the same for a missing role, a trust policy that does not name
// us and a wrong external id.
func (s *STS) denied(ctx context.Context, role RoleARN, externalID string, err error) error {
	us := "the distributor's AWS account"
	principal := ""
	if acct := s.selfAccount(ctx); acct != "" {
		us = "account " + acct
		principal = fmt.Sprintf(` (Principal {"AWS": "arn:aws:iam::%s:root"})`, acct)
	}
	return retry.Permanent(fmt.Errorf("assuming role %s: %w (AWS said: %v)", role, &RejectedError{
		Code: RejectAssumeRoleDenied,
		Reason: fmt.Sprintf("AWS did not let %s assume the role %s. Check that the role exists in account %s, "+
			"that its trust policy allows %s%s to call sts:AssumeRole, and that it requires the external id %q "+
			"(Condition StringEquals sts:ExternalId). Then send the role ARN again.",
			us, role, role.AccountID, us, principal, externalID),
	}, err))
}

// selfAccount returns the account acctflow's own credentials belong to, or ""
// when it cannot be learnt; cached after the first success. The lock is held
// across the call so that a burst of rejections makes one lookup.
func (s *STS) selfAccount(ctx context.Context) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.self != "" {
		return s.self
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	out, err := s.client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !isDigits(sdkaws.ToString(out.Account), 12) {
		return ""
	}
	s.self = *out.Account
	return s.self
}

func errorCode(err error) string {
	var api apiError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// validExternalID applies STS's rule: 2–1224 of [\w+=,.@:/-].
func validExternalID(s string) bool {
	if len(s) < 2 || len(s) > 1224 {
		return false
	}
	for _, c := range []byte(s) {
		if !isNameByte(c) && c != ':' && c != '/' {
			return false
		}
	}
	return true
}
