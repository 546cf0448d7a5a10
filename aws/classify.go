package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/acctflow/acctflow/retry"
)

// apiError is what every modelled or generic SDK service error implements
// (smithy.APIError); declared here so that classification needs only the
// methods it reads.
type apiError interface {
	error
	ErrorCode() string
	ErrorMessage() string
}

// maxRetryAfter caps a server hint so that a hostile or broken header cannot
// park a handler for hours.
const maxRetryAfter = 5 * time.Minute

// classify wraps err from one SDK call with what was being done and marks it
// temporary or permanent. The decision is made here only.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	var api apiError
	if !errors.As(err, &api) {
		// No service answer: connection refused or reset, DNS, TLS, a
		// truncated body. The next attempt may well get through.
		return fmt.Errorf("%s: %w", what, err)
	}
	status := httpStatus(err)
	if temporaryCode(api.ErrorCode()) || status == http.StatusTooManyRequests || status >= 500 {
		wrapped := fmt.Errorf("%s: %w", what, err)
		if d, ok := retryAfter(err); ok {
			return retry.After(wrapped, d)
		}
		return wrapped
	}
	if hint := advice(err, api.ErrorCode()); hint != "" {
		return retry.Permanent(fmt.Errorf("%s: %s: %w", what, hint, err))
	}
	return retry.Permanent(fmt.Errorf("%s: %w", what, err))
}

// temporaryCode lists the service error codes that mean "not now" rather
// than "never": throttling in its many spellings, concurrent changes, and
// service-side failures.
func temporaryCode(code string) bool {
	switch code {
	case "ConcurrentModificationException",
		"TooManyRequestsException",
		"ThrottlingException", "Throttling", "ThrottledException",
		"RequestThrottled", "RequestThrottledException", "RequestLimitExceeded",
		"SlowDown", "PriorRequestNotComplete",
		"ServiceException", "ServiceUnavailable", "ServiceUnavailableException",
		"InternalFailure", "InternalError", "InternalServerError", "InternalServiceError",
		"FinalizingOrganizationException", // the organization is still being set up
		"IDPCommunicationError",
		"RequestTimeout", "RequestTimeoutException",
		"RequestExpired", "RequestTimeTooSkewed": // the SDK corrects its clock offset from these
		return true
	}
	return false
}

// advice says, for a permanent error, what ops have to change.
func advice(err error, code string) string {
	switch code {
	case "AccessDeniedException", "AccessDenied":
		return "acctflow's AWS identity lacks the permission (it must be the organization's management account or a delegated administrator allowed to call this API)"
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
		"SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationToken",
		"MissingAuthenticationTokenException", "ExpiredToken", "ExpiredTokenException",
		"InvalidAccessKeyId", "AuthFailure":
		return "AWS refused acctflow's credentials; check AWS_PROFILE / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN"
	case "AWSOrganizationsNotInUseException":
		return "the AWS account acctflow runs as is not in an organization"
	case "ConstraintViolationException":
		var cve *orgtypes.ConstraintViolationException
		if errors.As(err, &cve) && cve.Reason != "" {
			return "an AWS Organizations limit was hit (" + clip(string(cve.Reason), 80) + ")"
		}
		return "an AWS Organizations limit was hit"
	case "InvalidInputException":
		var iie *orgtypes.InvalidInputException
		if errors.As(err, &iie) && iie.Reason != "" {
			return "AWS rejected the request's input (" + clip(string(iie.Reason), 80) + ")"
		}
		return "AWS rejected the request's input"
	case "ValidationException", "ValidationError", "SerializationException":
		return "AWS rejected the request's input"
	case "UnsupportedAPIEndpointException":
		return "AWS Organizations must be called through its us-east-1 endpoint (AWS_REGION / AWS_ENDPOINT_URL_ORGANIZATIONS)"
	case "CreateAccountStatusNotFoundException":
		return "AWS knows no such account creation request"
	case "RegionDisabledException":
		return "STS is not activated in this region for the account; use another AWS_REGION or activate it"
	}
	return ""
}

// httpStatus returns the HTTP status of the response behind err, or 0.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.ResponseError != nil {
		return re.HTTPStatusCode()
	}
	return 0
}

// retryAfter reads a Retry-After header (seconds or HTTP date) from the
// response behind err.
func retryAfter(err error) (time.Duration, bool) {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.ResponseError == nil || re.Response == nil || re.Response.Response == nil {
		return 0, false
	}
	return parseRetryAfter(re.Response.Header.Get("Retry-After"), time.Now())
}

func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 64 {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		d = time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = max(at.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}
