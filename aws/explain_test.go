package aws

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

func TestExplainCoversEveryFailureReason(t *testing.T) {
	fallback, _ := Explain("SOMETHING_AWS_ADDS_LATER")
	for _, r := range types.CreateAccountFailureReason("").Values() {
		text, ask := Explain(string(r))
		if text == "" || strings.Contains(text, "reason "+string(r)) || text == fallback {
			t.Errorf("%s has no explanation of its own: %q", r, text)
		}
		wantAsk := r == types.CreateAccountFailureReasonEmailAlreadyExists || r == types.CreateAccountFailureReasonInvalidEmail
		if ask != wantAsk {
			t.Errorf("%s: askNewEmail = %v, want %v", r, ask, wantAsk)
		}
		if wantAsk && !strings.Contains(text, "reply with a different") {
			t.Errorf("%s must ask for another address: %q", r, text)
		}
		if !wantAsk && !strings.Contains(text, "you do not need to do anything") {
			t.Errorf("%s must say the reseller need not act: %q", r, text)
		}
	}
}

func TestExplainUnknownReasonIsInert(t *testing.T) {
	text, ask := Explain("NEW_REASON<script>\r\nBcc: x@evil.example" + strings.Repeat("X", 1000))
	if ask || strings.ContainsAny(text, "<>\r\n@") || len(text) > 400 {
		t.Fatalf("unknown reason not sanitised: %q", text)
	}
	if !strings.Contains(text, "NEW_REASON") {
		t.Fatalf("unknown reason should still be named: %q", text)
	}
	if text, _ := Explain(""); !strings.Contains(text, "not given") {
		t.Fatalf("empty reason: %q", text)
	}
}
