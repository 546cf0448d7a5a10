package aws

import (
	"fmt"
	"strings"
)

// CheckEmail applies AWS's documented rules for an account's root email. An
// account created with an address AWS later finds invalid cannot be reached
// or removed, so the address is checked before CreateAccount is called. A
// violation is a *RejectedError with code RejectInvalidEmail.
func CheckEmail(email string) error {
	if reason := emailProblem(email); reason != "" {
		return rejected(RejectInvalidEmail, fmt.Sprintf(
			"the root email %s cannot be used for an AWS account: %s; please reply with another address", clip(email, 80), reason))
	}
	return nil
}

func emailProblem(email string) string {
	if len(email) < 6 || len(email) > 64 {
		return "it must be 6 to 64 characters long"
	}
	for _, c := range []byte(email) {
		if c < 0x21 || c > 0x7e {
			return "it may only hold ASCII characters without spaces"
		}
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || strings.Contains(domain, "@") {
		return "it must have exactly one @"
	}
	if local == "" || local[0] == '.' {
		return "the part before @ must not be empty or start with a dot"
	}
	if strings.ContainsAny(local, "\"'()<>[]:;,\\|%&") {
		return `the part before @ must not contain " ' ( ) < > [ ] : ; , \ | % &`
	}
	if !strings.Contains(domain, ".") {
		return "the domain must contain a dot"
	}
	if strings.ContainsAny(domain[:1]+domain[len(domain)-1:], ".-") {
		return "the domain must not begin or end with a dot or hyphen"
	}
	for _, c := range []byte(domain) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "the domain may only hold letters, digits, hyphens and dots"
		}
	}
	return ""
}
