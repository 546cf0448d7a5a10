// Package reply turns a reseller's answer to the confirmation email into the
// extraction of DESIGN §6: root email, account nickname and support type,
// plus what the inbox needs to match and authorise the message. Parsing is a
// pure function of the raw RFC 5322 bytes; it never panics and reports what it
// could not find as problems instead of guessing.
package reply

import "encoding/json"

// Bounds on the work done for one message, whatever its size or shape.
const (
	maxTextBytes   = 1 << 20   // decoded text/plain and text/html examined, all parts together
	maxHeaderBytes = 256 << 10 // one header block
	maxNestedBytes = 2 << 20   // one attached message/rfc822 read into memory
	maxDepth       = 8         // MIME nesting, attached messages included
	maxParts       = 128       // MIME parts visited
	maxListItems   = 64        // recipients, references, tokens kept from headers
	maxFieldChars  = 2048      // a decoded header value kept (subject, display name)

	maxNicknameRunes = 100 // a nickname as typed; AWS shows at most 50 ASCII characters of it
)

// The problems reported, one short machine-readable string each.
const (
	ProblemRootMissing       = "root_email_missing"
	ProblemRootAmbiguous     = "root_email_ambiguous"
	ProblemRootInvalid       = "root_email_invalid"
	ProblemNicknameMissing   = "nickname_missing"
	ProblemNicknameAmbiguous = "nickname_ambiguous"
	ProblemNicknameInvalid   = "nickname_invalid"  // longer than 100 characters, or control characters
	ProblemNicknameUnusable  = "nickname_unusable" // nothing AWS can show: only emoji, symbols or punctuation
	ProblemSupportMissing    = "support_type_missing"
	ProblemSupportUnknown    = "support_type_unrecognised"
	ProblemSupportAmbiguous  = "support_type_ambiguous"
	ProblemAutoReply         = "auto_reply"
	ProblemBounce            = "bounce"
	ProblemUnreadable        = "unreadable_message"
	ProblemNoTextBody        = "no_text_body"
)

// Reply is everything Parse learns from one message.
type Reply struct {
	Extraction        // the JSON object of DESIGN §6
	Header     Header `json:"-"` // for matching and authorisation
	RoleARN    string `json:"-"` // "" when absent or when two different ARNs were given
	Bounce     bool   `json:"-"` // multipart/report delivery status or a mailer-daemon sender
	// Declines: the sender's own words start by saying no ("No, that was
	// not me"): never a confirmation. Affirms: they start by saying yes
	// ("Yes, that was me", "Ja", "Confirmed."): the only confirmation.
	Declines bool `json:"-"`
	Affirms  bool `json:"-"`
}

// Extraction is the JSON object printed by `acctflow reply parse`.
type Extraction struct {
	RootEmail   *string  `json:"root_email"`   // lower-cased
	Nickname    *string  `json:"nickname"`     // as written (NFC), trimmed, at most 100 characters
	SupportType *string  `json:"support_type"` // business|developer|basic|enterprise
	RequestRef  *string  `json:"request_ref"`  // from the plus-address token or the [subject tag]
	AutoReply   bool     `json:"auto_reply"`
	Complete    bool     `json:"complete"`
	Problems    []string `json:"problems"` // never nil in JSON: [] when none
}

// MarshalJSON writes exactly the seven keys of DESIGN §6, problems as [] when
// there are none. Reply embeds Extraction, so a Reply marshals the same way.
func (e Extraction) MarshalJSON() ([]byte, error) {
	type plain Extraction // drops this method, so no recursion
	p := plain(e)
	if p.Problems == nil {
		p.Problems = []string{}
	}
	return json.Marshal(p)
}

// Header is what the inbox needs to match a reply to its request and to check
// who sent it.
type Header struct {
	From       string   // bare lower-cased address of the sender
	FromName   string   // decoded display name
	Recipients []string // lower-cased bare addresses from To, Cc, Delivered-To, X-Original-To
	MessageID  string   // without angle brackets
	InReplyTo  []string // without angle brackets
	References []string
	Subject    string  // decoded
	Tokens     []Token // plus-address tokens found in Recipients, unverified
}

// Token is a plus-address `<local>+<request_id>.<mac>@<domain>` found among
// the recipients. The MAC is not verified here: that needs the secret.
type Token struct{ RequestID, MAC, Address string }

// Parse never panics and never returns an error: unreadable input yields problems.
func Parse(raw []byte) (r Reply) {
	defer func() {
		// Parse is fuzzed and meant to be panic-free; this is the last line of
		// defence so that one hostile message can never take a handler down.
		if v := recover(); v != nil {
			r = Reply{Header: r.Header}
			r.Problems = []string{ProblemUnreadable}
			r.Problems = append(r.Problems, fieldProblems(fields{})...)
		}
	}()
	return parse(raw)
}
