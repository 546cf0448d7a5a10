package reply

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestHeaderOfFixture(t *testing.T) {
	raw, err := os.ReadFile("testdata/replies/21-raw-8bit-windows-1252.eml")
	if err != nil {
		t.Fatal(err)
	}
	h := Parse(raw).Header
	want := Header{
		From:       "helene.dupre@fourthcoffee.example",
		FromName:   "Hélène Dupré",
		Recipients: []string{"acct-replies+req-2007.caed56397a90@meridian-distribution.example"},
		MessageID:  "20261126081240.4471@fourthcoffee.example",
		InReplyTo:  []string{"2269c47f6ca3ffe85fd99863.confirmation@mail.meridian-distribution.example"},
		References: []string{"2269c47f6ca3ffe85fd99863.confirmation@mail.meridian-distribution.example"},
		Subject:    "Re: Customer Account Provision Request Received\u2014Amazon Web Services (Brasserie Dupré) [REQ-2007]",
		Tokens: []Token{{RequestID: "REQ-2007", MAC: "caed56397a90",
			Address: "acct-replies+req-2007.caed56397a90@meridian-distribution.example"}},
	}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("header\n got %+v\nwant %+v", h, want)
	}
}

func TestHeaderRecipientsAndEncodedNames(t *testing.T) {
	raw := "From: =?windows-1252?Q?Ren=E9e_C=F4t=E9_=96_IT?= <Renee.Cote@Tailwind.example>\r\n" +
		"To: \"Meridian\" <acct-replies+REQ.1.2-x_y.0123456789ab@meridian-distribution.example>, broken <<<\r\n" +
		"Cc: =?utf-8?q?Ops=2C_Tailwind?= <ops@tailwind.example>, acct-replies+REQ-9.0123456789AB@meridian.example\r\n" +
		"Delivered-To: acct-replies+REQ-1001.0347d5a24539@meridian.example\r\n" +
		"X-Original-To: ops@tailwind.example\r\n" +
		"Subject: [EXTERNAL] Re: x [REQ-1001] [EXT]\r\n" +
		"Message-ID: no-brackets@tailwind.example\r\n" +
		"References: <a@x> <b@x>\r\n <c@x>\r\n" +
		"\r\nRoot email: a@b.example\r\n"
	r := Parse([]byte(raw))
	h := r.Header
	if h.From != "renee.cote@tailwind.example" || h.FromName != "Renée Côté – IT" {
		t.Errorf("from = %q %q", h.From, h.FromName)
	}
	wantRcpt := []string{"acct-replies+req.1.2-x_y.0123456789ab@meridian-distribution.example", "ops@tailwind.example",
		"acct-replies+req-9.0123456789ab@meridian.example", "acct-replies+req-1001.0347d5a24539@meridian.example"}
	if !reflect.DeepEqual(h.Recipients, wantRcpt) {
		t.Errorf("recipients = %q, want %q", h.Recipients, wantRcpt)
	}
	// REQ-9's MAC is upper case: still token-shaped (mailer.ParseToken);
	// whether it verifies is the inbox's business.
	if len(h.Tokens) != 3 || h.Tokens[0].RequestID != "REQ.1.2-x_y" || h.Tokens[1].RequestID != "REQ-9" || h.Tokens[1].MAC != "0123456789ab" || h.Tokens[2].RequestID != "REQ-1001" {
		t.Errorf("tokens = %+v", h.Tokens)
	}
	if h.MessageID != "no-brackets@tailwind.example" || !reflect.DeepEqual(h.References, []string{"a@x", "b@x", "c@x"}) {
		t.Errorf("ids = %q %q", h.MessageID, h.References)
	}
	// The subject tag REQ-1001 matches the second token, so it wins over the first.
	if r.RequestRef == nil || *r.RequestRef != "REQ-1001" {
		t.Errorf("request_ref = %v", r.RequestRef)
	}
}

func TestSubjectTag(t *testing.T) {
	for in, want := range map[string]string{
		"Re: Customer Account Provision Request Received—Amazon Web Services (Acme) [REQ-1001]": "REQ-1001",
		"[EXTERNAL] RE: Customer … (Acme) [REQ-7K3M9Q2X4T]":                                     "REQ-7K3M9Q2X4T",
		"RE: Customer … [REQ-1] [EXTERNAL]":                                                     "REQ-1",
		"Re: Customer … [not a tag!]":                                                           "",
		"Re: [" + strings.Repeat("a", 65) + "]":                                                 "",
		"]][[":                                                                                  "",
	} {
		if got := subjectTag(in); got != want {
			t.Errorf("subjectTag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAutoReplyDetection(t *testing.T) {
	base := "From: Jane <jane@x.example>\r\nTo: acct-replies+REQ-1.0123456789ab@m.example\r\n"
	body := "\r\nRoot email: a@b.example\r\nAccount nickname: Foo\r\nSupport type: Basic\r\n"
	for _, c := range []struct {
		name, header string
		auto, bounce bool
	}{
		{"plain reply", "Subject: Re: Customer Account Provision Request Received (Absent Minded Ltd) [REQ-1]\r\n", false, false},
		{"auto-submitted", "Subject: Re: x\r\nAuto-Submitted: auto-replied\r\n", true, false},
		{"auto-submitted no", "Subject: Re: x\r\nAuto-Submitted: no\r\n", false, false},
		{"x-autoreply", "Subject: Re: x\r\nX-Autoreply: yes\r\n", true, false},
		{"x-autorespond", "Subject: Re: x\r\nX-Autorespond: 1\r\n", true, false},
		{"precedence junk", "Subject: Re: x\r\nPrecedence: junk\r\n", true, false},
		{"precedence list: a reply through a group alias", "Subject: Re: x\r\nPrecedence: list\r\nList-Id: <ops.fabrikam.example>\r\n", false, false},
		{"precedence auto_reply", "Subject: Re: x\r\nPrecedence: auto_reply\r\n", true, false},
		{"out of office", "Subject: Out of Office: Customer Account Provision Request Received\r\n", true, false},
		{"automatic reply", "Subject: Automatic reply: Re: x\r\n", true, false},
		{"reponse automatique", "Subject: =?utf-8?q?R=C3=A9ponse_automatique?= : x\r\n", true, false},
		{"absent", "Subject: Absent du bureau\r\n", true, false},
		{"null return path", "Subject: Re: x\r\nReturn-Path: <>\r\n", true, false},
		{"mailer-daemon", "Subject: failure\r\nSender: x\r\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mx.example>\r\n", true, true},
		{"report", "Subject: x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n", true, true},
		{"failed recipients", "Subject: x\r\nX-Failed-Recipients: a@b.example\r\n", true, true},
	} {
		hdr := c.header
		raw := base + hdr + body
		if strings.Contains(hdr, "From:") {
			raw = "To: acct-replies+REQ-1.0123456789ab@m.example\r\n" + hdr + body
		}
		r := Parse([]byte(raw))
		if r.AutoReply != c.auto || r.Bounce != c.bounce {
			t.Errorf("%s: auto=%v bounce=%v, want %v %v", c.name, r.AutoReply, r.Bounce, c.auto, c.bounce)
		}
		checkInvariants(t, r)
	}
}
