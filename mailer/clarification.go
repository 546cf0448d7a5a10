package mailer

import (
	"errors"
	"strings"
)

// ClarificationData answers a reply that left something missing, ambiguous
// or invalid: it quotes what was understood and asks only for the rest. Send
// it with the confirmation's Reply-To token and In-Reply-To/References set to
// the reply's Message-ID.
type ClarificationData struct {
	RequestID    string
	ContactName  string
	CustomerName string
	// What the reply parser understood; empty means missing.
	RootEmail   string
	Nickname    string
	SupportType string // business, developer, basic, enterprise or empty
	// Problems are the parser's machine-readable strings, e.g.
	// root_email_missing, root_email_in_use, support_type_unrecognised.
	Problems       []string
	ReplyChannel   string
	SupportMailbox string
	Sig            Signature
}

// Kind implements Data.
func (ClarificationData) Kind() string { return KindClarification }

type clarificationView struct {
	customer
	RootEmail, Nickname, Support string
	SupportMailbox               string
	Problems                     []problem
	Lines                        []string
}

// problem is one sentence of the "what we still need" list.
type problem struct {
	Code  string
	Value string // the value the sentence is about, when it names one
}

func (d ClarificationData) prepare() (string, any, error) {
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
	v := clarificationView{
		customer:  c,
		RootEmail: oneLine(d.RootEmail), Nickname: oneLine(d.Nickname), Support: supportLabel(d.SupportType),
		SupportMailbox: box,
	}
	needRoot, needNick, needSupport := v.RootEmail == "", v.Nickname == "", v.Support == ""
	seen := map[string]bool{}
	for _, code := range d.Problems {
		code = oneLine(code)
		if code == "" || seen[code] || len(seen) == 20 {
			continue
		}
		seen[code] = true
		p := problem{Code: code}
		switch {
		case strings.HasPrefix(code, "root_email"):
			needRoot, p.Value = true, v.RootEmail
		case strings.HasPrefix(code, "nickname"):
			needNick, p.Value = true, v.Nickname
		case strings.HasPrefix(code, "support_type"):
			needSupport = true
		}
		v.Problems = append(v.Problems, p)
	}
	// A missing field gets its sentence even when the parser listed none.
	for _, m := range []struct {
		code    string
		missing bool
	}{
		{"root_email_missing", v.RootEmail == ""},
		{"nickname_missing", v.Nickname == ""},
		{"support_type_missing", v.Support == ""},
	} {
		if m.missing && !hasPrefixOf(seen, m.code) {
			v.Problems = append(v.Problems, problem{Code: m.code})
		}
	}
	sortProblems(v.Problems)
	if len(v.Problems) == 0 {
		return "", nil, errors.New("clarification with nothing to clarify")
	}
	if !needRoot && !needNick && !needSupport {
		needRoot, needNick, needSupport = true, true, true
	}
	v.Lines = fillLines(needRoot, needNick, needSupport)
	return "Re: " + ConfirmationSubject(c.CustomerName, c.RequestID), v, nil
}

// hasPrefixOf reports whether a problem about the same field as code was
// already listed (root_email_invalid makes root_email_missing redundant).
func hasPrefixOf(seen map[string]bool, code string) bool {
	field := strings.TrimSuffix(code, "_missing")
	for s := range seen {
		if strings.HasPrefix(s, field) {
			return true
		}
	}
	return false
}

// sortProblems orders sentences as the fill-in lines are ordered (root
// email, nickname, support type, anything else), keeping the parser's order
// within a field, so the mail reads top to bottom and renders identically
// on every redelivery.
func sortProblems(ps []problem) {
	rank := func(code string) int {
		switch {
		case strings.HasPrefix(code, "root_email"):
			return 0
		case strings.HasPrefix(code, "nickname"):
			return 1
		case strings.HasPrefix(code, "support_type"):
			return 2
		}
		return 3
	}
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && rank(ps[j].Code) < rank(ps[j-1].Code); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}
