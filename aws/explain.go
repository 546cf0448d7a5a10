package aws

import "strings"

const onOurSide = " This is on our side: our cloud-support team has been notified and will follow up; you do not need to do anything."

// Explain turns a CreateAccount FailureReason into a sentence for the
// reseller. askNewEmail is true when the only way forward is another root
// email (EMAIL_ALREADY_EXISTS, INVALID_EMAIL): the request goes back to
// awaiting details.
func Explain(failureReason string) (text string, askNewEmail bool) {
	switch failureReason {
	case "EMAIL_ALREADY_EXISTS":
		return "The root email address is already used by another AWS account. Each AWS account needs a root email that has never been used with Amazon or AWS: please reply with a different address (a live mailbox or alias that receives mail).", true
	case "INVALID_EMAIL":
		return "AWS did not accept the root email address as valid. Please reply with a different, working address that can receive the AWS password-reset mail.", true
	case "GOVCLOUD_ACCOUNT_ALREADY_EXISTS":
		return "An AWS GovCloud (US) account already uses this root email address." + onOurSide, false
	case "ACCOUNT_LIMIT_EXCEEDED":
		return "Our AWS organization has reached its limit on the number of accounts." + onOurSide, false
	case "CONCURRENT_ACCOUNT_MODIFICATION":
		return "AWS was already processing a request with the same details, so this one was not carried out." + onOurSide, false
	case "INTERNAL_FAILURE":
		return "AWS had an internal failure while creating the account." + onOurSide, false
	case "INVALID_ADDRESS":
		return "AWS did not accept the postal address on file for the new account." + onOurSide, false
	case "MISSING_BUSINESS_VALIDATION":
		return "Our AWS management account has not yet received AWS business validation." + onOurSide, false
	case "PENDING_BUSINESS_VALIDATION":
		return "Our AWS management account is still completing AWS business validation." + onOurSide, false
	case "FAILED_BUSINESS_VALIDATION":
		return "Our AWS management account failed AWS business validation." + onOurSide, false
	case "INVALID_IDENTITY_FOR_BUSINESS_VALIDATION", "IDENTITY_INVALID_BUSINESS_VALIDATION":
		return "Our AWS management account lacks valid identity data for AWS business validation." + onOurSide, false
	case "UNKNOWN_BUSINESS_VALIDATION":
		return "AWS reported an unknown issue with our management account's business validation." + onOurSide, false
	case "MISSING_PAYMENT_INSTRUMENT":
		return "Our AWS management account has no payment method on file." + onOurSide, false
	case "INVALID_PAYMENT_INSTRUMENT":
		return "AWS does not accept the payment method of our management account." + onOurSide, false
	case "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED":
		return "AWS could not apply the new account's tags under our organization's resource policy." + onOurSide, false
	}
	return "AWS could not create the account (reason " + reasonToken(failureReason) + ")." + onOurSide, false
}

// reasonToken names a reason in a sentence; "not given" when AWS sent none.
func reasonToken(s string) string {
	if s = sanitizeReason(s); s == "" {
		return "not given"
	}
	return s
}

// sanitizeReason keeps a reason from AWS readable but inert: AWS enum values
// are upper-case words and underscores, at most 64 here.
func sanitizeReason(s string) string {
	if len(s) > 256 {
		s = s[:256]
	}
	s = strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return -1
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}
