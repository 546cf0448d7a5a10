package mailer

import (
	"errors"
	"strings"
)

// ClarificationData answers a reply that left something missing, ambiguous
// or invalid: it says what is already known and asks only for the rest.
// Send it with the request's Reply-To token and In-Reply-To/References set
// to the reply's Message-ID.
type ClarificationData struct {
	RequestID    string
	ContactName  string
	CustomerName string
	// What is already known of the request, from this reply and earlier
	// ones; each optional, empty means not known yet.
	RootEmail      string
	Nickname       string // as the reseller typed it
	AWSAccountName string // how AWS will show Nickname (aws.AccountName); optional
	SupportType    string // business, developer, basic, enterprise or empty
	// Problems are machine-readable strings: the parser's (root_email_missing,
	// support_type_unrecognised, …) and the request's (root_email_in_use,
	// root_email_is_contact, nickname_unusable). A field with a problem is
	// asked for again, its value (above) quoted in the explanation; a field
	// without a value is asked for even when no problem names it.
	Problems       []string
	ReplyChannel   string
	SupportMailbox string
	Lang           Lang
	Sig            Signature
}

// Kind implements Data.
func (ClarificationData) Kind() string     { return KindClarification }
func (d ClarificationData) language() Lang { return d.Lang }

type clarificationView struct {
	customer
	Known          []string // "the root email address x@y", …
	Needs          []string // one item per field asked for, with why
	SupportMailbox string
	Lines          []string
}

// The fields a clarification may ask for, in the order of the answer lines.
var clarifyFields = []string{"root_email", "nickname", "support_type"}

// maxProblems bounds what one mail lists, whatever the caller passes.
const maxProblems = 20

func (d ClarificationData) prepare(t *tr) (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	box, err := replyChannel(d.ReplyChannel, d.SupportMailbox)
	if err != nil {
		return "", nil, err
	}
	if err := checkSupportType(d.SupportType, true); err != nil {
		return "", nil, err
	}
	values := map[string]string{
		"root_email": oneLine(d.RootEmail), "nickname": oneLine(d.Nickname), "support_type": supportLabel(d.SupportType),
	}
	codes, other := groupProblems(d.Problems)
	v := clarificationView{customer: c, SupportMailbox: box}
	need := map[string]bool{}
	for _, f := range clarifyFields {
		if values[f] == "" && len(codes[f]) == 0 {
			codes[f] = []string{f + "_missing"}
		}
		if len(codes[f]) == 0 {
			v.Known = append(v.Known, knownDetail(t, f, values[f], oneLine(d.AWSAccountName)))
			continue
		}
		need[f] = true
		v.Needs = append(v.Needs, needItem(t, f, values[f], codes[f], nil))
	}
	for _, code := range other {
		v.Needs = append(v.Needs, t.T("clarification.unreadable", "Code", code))
	}
	if len(v.Needs) == 0 {
		return "", nil, errors.New("clarification with nothing to clarify")
	}
	if len(need) == 0 { // only problems about no field: let them restate all
		need = map[string]bool{"root_email": true, "nickname": true, "support_type": true}
	}
	v.Lines = answerLines(t, need["root_email"], need["nickname"], need["support_type"])
	return "Re: " + confirmationSubject(t, c), v, nil
}

// groupProblems sorts the problem codes by field, keeping the caller's order
// within a field, dropping duplicates, and "<field>_missing" when another
// problem of the field says more (root_email_invalid).
func groupProblems(problems []string) (byField map[string][]string, other []string) {
	byField = map[string][]string{}
	seen := map[string]bool{}
	for _, p := range problems {
		code := oneLine(p)
		if code == "" || seen[code] || len(seen) == maxProblems {
			continue
		}
		seen[code] = true
		field := ""
		for _, f := range clarifyFields {
			if strings.HasPrefix(code, f) {
				field = f
			}
		}
		if field == "" {
			other = append(other, code)
			continue
		}
		byField[field] = append(byField[field], code)
	}
	for f, cs := range byField {
		if len(cs) > 1 {
			kept := cs[:0]
			for _, c := range cs {
				if c != f+"_missing" {
					kept = append(kept, c)
				}
			}
			byField[f] = kept
		}
	}
	return byField, other
}

// knownDetail is one "We already have" item.
func knownDetail(t *tr, field, value, awsName string) string {
	switch {
	case field == "nickname" && awsName != "" && awsName != value:
		return t.T("common.detail_nickname_aws", "Value", value, "AWSName", awsName)
	default:
		return t.T("common.detail_"+field, "Value", value)
	}
}

// needItem is one "Please reply with" item: the field, then why. missing,
// when not nil, replaces the sentence of "<field>_missing" ("" for none):
// a reminder asks for a field nobody gave, not one a reply left out.
func needItem(t *tr, field, value string, codes []string, missing func(t *tr, field string) string) string {
	parts := []string{t.T("clarification.need_" + field)}
	for _, code := range codes {
		if code == field+"_missing" && missing != nil {
			if s := missing(t, field); s != "" {
				parts = append(parts, s)
			}
			continue
		}
		parts = append(parts, problemSentence(t, field, code, value))
	}
	if field == "support_type" {
		parts = append(parts, t.T("common.support_choices"))
	}
	return strings.Join(parts, " ")
}

// problemSentences are the codes with a sentence of their own; the ones in
// withValue quote the field's value when there is one. Any other code of a
// field gets "<field>_other", so a new parser code never blocks the mail.
var (
	problemSentences = map[string]bool{
		"root_email_missing": true, "root_email_invalid": true, "root_email_in_use": true,
		"root_email_is_contact": true, "root_email_ambiguous": true,
		"nickname_missing": true, "nickname_invalid": true, "nickname_unusable": true, "nickname_ambiguous": true,
		"support_type_missing": true, "support_type_unrecognised": true, "support_type_ambiguous": true,
	}
	withValue = map[string]bool{
		"root_email_invalid": true, "root_email_in_use": true, "root_email_is_contact": true, "root_email_other": true,
		"nickname_invalid": true, "nickname_unusable": true, "nickname_other": true,
	}
)

func problemSentence(t *tr, field, code, value string) string {
	if code == "support_type_unrecognized" {
		code = "support_type_unrecognised"
	}
	if !problemSentences[code] {
		code = field + "_other"
	}
	if withValue[code] && value != "" {
		return t.T("clarification."+code+"_value", "Value", value)
	}
	return t.T("clarification." + code)
}
