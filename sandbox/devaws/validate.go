package devaws

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// check applies the constraints AWS enforces synchronously.
func (in createAccountInput) check() (CreateRequest, *wireError) {
	invalid := func(reason, msg string) (CreateRequest, *wireError) {
		return CreateRequest{}, &wireError{status: 400, code: "InvalidInputException", message: msg,
			extra: map[string]string{"Reason": reason}}
	}
	req := CreateRequest{
		Email: deref(in.Email), AccountName: deref(in.AccountName),
		RoleName: deref(in.RoleName), IamUserAccessToBilling: deref(in.IamUserAccessToBilling),
		Tags: map[string]string{},
	}
	switch {
	case in.Email == nil || in.AccountName == nil:
		return invalid("INPUT_REQUIRED", "Email and AccountName are required")
	case len(req.Email) < 6 || len(req.Email) > 64:
		return invalid("INVALID_INPUT", "Email must be 6 to 64 characters")
	case len(req.AccountName) < 1 || len(req.AccountName) > 50 || !printableASCII(req.AccountName):
		return invalid("INVALID_INPUT", "AccountName must be 1 to 50 characters of [\\u0020-\\u007E]")
	case in.RoleName != nil && !roleNameOK(req.RoleName):
		return invalid("INVALID_PATTERN", "RoleName must match [\\w+=,.@-]{1,64}")
	case in.IamUserAccessToBilling != nil && req.IamUserAccessToBilling != "ALLOW" && req.IamUserAccessToBilling != "DENY":
		return invalid("INVALID_ENUM", "IamUserAccessToBilling must be ALLOW or DENY")
	case len(in.Tags) > 50:
		return invalid("INVALID_INPUT", "at most 50 tags")
	}
	for _, t := range in.Tags {
		k, v := deref(t.Key), deref(t.Value)
		if t.Key == nil || t.Value == nil || k == "" || len(k) > 128 || len(v) > 256 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalid("INVALID_INPUT", "tag keys are 1-128 characters without aws: prefix, values up to 256")
		}
		if _, dup := req.Tags[k]; dup {
			return invalid("DUPLICATE_TAG_KEY", "duplicate tag key "+k)
		}
		req.Tags[k] = v
	}
	return req, nil
}

func decodeStrict(body []byte, v any) *wireError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &wireError{status: 400, code: "SerializationException", message: err.Error()}
	}
	return nil
}

// emailLooksValid is a coarse version of AWS's root email rules, enough to
// let tests reach INVALID_EMAIL.
func emailLooksValid(e string) bool {
	local, domain, ok := strings.Cut(e, "@")
	return ok && local != "" && !strings.Contains(domain, "@") && strings.Contains(domain, ".") &&
		!strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") && printableASCII(e) && !strings.Contains(e, " ")
}

func printableASCII(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func roleNameOK(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			return false
		}
	}
	return true
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
