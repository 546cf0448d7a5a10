package events_test

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/schemas"
)

// samples holds one valid event of every kind, so the fuzzer starts from
// payloads that reach past the schema into the Go decoding.
func samples() []events.Event {
	at := events.Time(time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC))
	req := events.AccountRequested{RequestID: "REQ-1001", RequestedAt: at, Provider: "aws",
		Reseller: events.Reseller{ID: "R-1", Name: "Northwind IT", Country: "US",
			PrimaryContact: events.Party{Name: "Jane Doe", Email: "jane@northwind.example"}, AuthorisedSenders: []string{"ops@northwind.example"}},
		Customer:  events.Customer{ID: "C-1", Name: "Acme Corp"},
		Pricebook: events.Pricebook{Present: true, InvoiceCurrency: "USD", ProviderEnabledInPortal: true}}
	root, nick := "root@acme.example", "acme-prod"
	return []events.Event{
		req,
		events.AccountRouted{RequestID: "REQ-1001", Region: "us", OpsTeam: "ops-us", ReplyChannel: events.ReplyWorkflow, RoutedAt: at, Request: req},
		events.RequestRejected{RequestID: "REQ-1001", Reasons: []string{events.ReasonPricebookMissing}, Detail: "no\tpricebook\n", RejectedAt: at, Request: &req},
		events.ConfirmationSent{RequestID: "REQ-1001", MessageID: "abc@acctflow.example", Recipient: "jane@northwind.example", ReplyTo: "acct+REQ-1001.0a1b@acctflow.example", SentAt: at},
		events.ReplyReceived{ReplyID: "0123456789abcdef", Mailbox: "INBOX", UIDValidity: 7, UID: 42, Object: "INBOX/7/42", Size: 2048, MessageID: "m1@x.example", ReceivedAt: at},
		events.DetailsSubmitted{RequestID: "REQ-1001", RootEmail: root, Nickname: nick, SupportType: events.SupportBusiness, From: "jane@northwind.example", SubmittedAt: at},
		events.DetailsIncomplete{RequestID: "REQ-1001", Problems: []string{"support_type_missing"}, RootEmail: &root, Nickname: &nick, ReceivedAt: at},
		events.ReplyRejected{ReplyID: "0123456789abcdef", Reason: events.ReplyUnmatched, From: "x@y.example", RejectedAt: at},
		events.AccountApproved{RequestID: "REQ-1001", ApprovedBy: "ops", Note: "ok", ApprovedAt: at},
		events.AccountCreated{RequestID: "REQ-1001", AccountID: "123456789012", Method: events.MethodManual, CreatedAt: at},
		events.AccountCreationFailed{RequestID: "REQ-1001", FailureReason: "EMAIL_ALREADY_EXISTS", NewRootEmailNeeded: true, FailedAt: at},
		events.RoleSubmitted{RequestID: "REQ-1001", RoleARN: "arn:aws:iam::123456789012:role/Distributor", SubmittedAt: at},
		events.RoleValidated{RequestID: "REQ-1001", RoleARN: "arn:aws:iam::123456789012:role/Distributor", AccountID: "123456789012", ValidatedAt: at},
		events.RoleRejected{RequestID: "REQ-1001", RoleARN: "arn:aws:iam::1:role/x", Reason: "invalid_format", Explanation: "bad", RejectedAt: at},
		events.SupportGroupAssigned{RequestID: "REQ-1001", Group: events.GroupBusinessSupport, AssignedAt: at},
		events.SupportGroupMissing{RequestID: "REQ-1001", ExpectedGroup: events.GroupPassthrough, Cause: "not_assigned", DetectedAt: at},
		events.SupportChanged{ChangeID: "CHG-1", AccountID: "123456789012", From: events.SupportBasic, To: events.SupportBusiness, ChangedAt: at,
			ReportedBy: events.Party{Name: "Ops", Email: "ops@d.example"}, Reseller: events.ResellerName{ID: "R-1", Name: "Northwind IT"}},
		events.TicketCreated{ChangeID: "CHG-1", TicketID: "77", System: events.TicketFreshdesk, CreatedAt: at},
		events.ReplyHeld{ReplyID: "0123456789abcdef", RequestID: "REQ-1001", Reason: events.HoldUnverifiedSender, MatchedBy: events.MatchedSubject,
			From: "jane@northwind.example", RootEmail: &root, Nickname: &nick, ConfirmationRequested: true, HeldAt: at},
		events.ReplyReleased{ReplyID: "0123456789abcdef", RequestID: "REQ-1001", By: events.ReleasedByContact, ConfirmReplyID: "fedcba9876543210", ReleasedAt: at},
		events.ReplyDiscarded{ReplyID: "0123456789abcdef", RequestID: "REQ-1001", Operator: "ops", Reason: "spoofed", DiscardedAt: at},
		events.ReminderSent{RequestID: "REQ-1001", Number: 1, MessageID: "REQ-1001.0a1b2c3d4e5f.reminder-1@acctflow.example", Recipient: "jane@northwind.example", WaitingSince: at, SentAt: at},
		events.RequestExpired{RequestID: "REQ-1001", WaitingSince: at, ExpiredAt: at},
		events.EffectFailed{RequestID: "REQ-1001", Effect: events.EffectEmail, Kind: "confirmation", Outcome: events.OutcomeDeadLettered, Handler: "confirmation",
			Input: "acct.routed.us", Error: "550 5.1.1 <jane@northwind.example>: Recipient address rejected", DLQSeq: 3, FailedAt: at},
		events.RoleUnverified{RequestID: "REQ-1001", RoleARN: "arn:aws:iam::123456789012:role/Distributor", AccountID: "123456789012", Reason: "no AWS access configured", UnverifiedAt: at},
	}
}

// edgeCases are hostile payloads no schema should accept without care.
var edgeCases = []string{
	``, `null`, `[]`, `"x"`, `{}`, "\xef\xbb\xbf{}", `{} {}`, `{"a":1}x`,
	`{"uid":1e400,"size":-0,"uid_validity":18446744073709551616}`, `{"size":1.0,"uid":4294967296}`, `{"size":9223372036854775808}`,
	strings.Repeat(`[`, 10001), strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000),
	`{"request_id":"REQ-\xff\xfe","reseller":{"name":"\xc3\x28"}}`, `{"request_id":"REQ-1\u0000","customer":{"name":"A\r\nBcc: x@y"}}`,
	`{"request_id":"REQ-1","request_id":"../../etc","request_id":""}`, `{"Request_ID":"REQ-1","REQUEST_ID":"x"}`,
	`{"reseller":{"country":"us","country":"ＵＳ"},"pricebook":{"invoice_currency":null}}`,
}

// seedFixtures adds the shared event fixtures, if present, for the schema
// their file name starts with.
func seedFixtures(f *testing.F, add func(schema string, data []byte)) {
	paths, _ := filepath.Glob(fixtures + "*.json")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		name := filepath.Base(p)
		for _, s := range []string{"account-requested", "support-changed"} {
			if strings.HasPrefix(name, s) {
				add(s, data)
			}
		}
	}
}

// FuzzParseAccountRequested: what a client submits either parses into a
// request we could republish as is, or fails with field errors (the API
// turns any other error into a 503).
func FuzzParseAccountRequested(f *testing.F) {
	seedFixtures(f, func(_ string, data []byte) { f.Add(data) })
	for _, s := range edgeCases {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"request_id":7,"reseller":{"id":"R-1","name":"N","country":" us ","primary_contact":{"name":"J","email":" J@N.Example "}},
	 "customer":{"id":"C-1","name":"Acme"},"pricebook":{"present":true,"invoice_currency":" usd","provider_enabled_in_portal":true}}`))
	const fresh = "REQ-FUZZ000001"
	now := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := events.ParseAccountRequested(data, func() string { return fresh }, now)
		if err != nil {
			var ve *schemas.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("error is not a field list: %T %v", err, err)
			}
			return
		}
		if !events.ValidRequestID(e.RequestID) || e.Provider != "aws" {
			t.Fatalf("accepted %+v", e)
		}
		var probe map[string]any
		if json.Unmarshal(data, &probe) != nil {
			t.Fatalf("accepted a body that is not a JSON object: %q", data)
		}
		if given, _ := probe["request_id"].(string); given != "" && e.RequestID != given || given == "" && e.RequestID != fresh {
			t.Fatalf("request id %q from input %v", e.RequestID, probe["request_id"])
		}
		out, err := events.Marshal(e)
		if err != nil {
			t.Fatalf("accepted request does not re-marshal: %v", err)
		}
		again, err := events.ParseAccountRequested(out, func() string { return "REQ-OTHER" }, now.Add(time.Hour))
		if err != nil || !reflect.DeepEqual(again, e) {
			t.Fatalf("normalisation is not stable:\n%+v\n%+v (%v)", e, again, err)
		}
	})
}

// FuzzUnmarshal: every schema against arbitrary bytes. Whatever the schema
// accepts must decode into its Go type and re-marshal into a payload the
// schema accepts again, else valid events would be stuck in a DLQ.
func FuzzUnmarshal(f *testing.F) {
	types := map[string]reflect.Type{}
	for _, e := range samples() {
		types[e.Schema()] = reflect.TypeOf(e)
	}
	names, err := schemas.Names()
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range names {
		if types[n] == nil {
			f.Fatalf("schema %s has no sample event", n)
		}
	}
	index := func(schema string) uint8 { return uint8(slices.Index(names, schema)) }
	for _, e := range samples() {
		data, err := events.Marshal(e)
		if err != nil {
			f.Fatalf("sample %s: %v", e.Schema(), err)
		}
		f.Add(index(e.Schema()), data)
	}
	seedFixtures(f, func(s string, data []byte) { f.Add(index(s), data) })
	for i, s := range edgeCases {
		f.Add(uint8(i), []byte(s))
	}
	// Numbers past what the Go fields hold (uint32 IMAP uids, int64 size).
	for _, n := range []string{`"uid":4294967296`, `"uid_validity":-1`, `"size":9223372036854775808`, `"size":1e400`, `"size":1.0`, `"uid":1e3`} {
		f.Add(index("reply-received"), []byte(`{"reply_id":"0123456789abcdef","mailbox":"INBOX","object":"o","received_at":"2026-11-25T18:00:00Z","size":1,`+n+`}`))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		schema := names[int(which)%len(names)]
		start := time.Now()
		verr := schemas.Validate(schema, data)
		ptr := reflect.New(types[schema])
		uerr := events.Unmarshal(schema, data, ptr.Interface())
		if took := time.Since(start); took > time.Second {
			t.Fatalf("%s: %d bytes took %v", schema, len(data), took)
		}
		var ve *schemas.ValidationError
		if verr != nil {
			if !errors.As(verr, &ve) {
				t.Fatalf("%s: Validate error is %T: %v", schema, verr, verr)
			}
			if uerr == nil {
				t.Fatalf("%s: Unmarshal accepted what Validate refused: %v", schema, verr)
			}
			return
		}
		if uerr != nil && !integerNotation(uerr) {
			t.Fatalf("%s: schema accepts %q but Go decoding fails: %v", schema, data, uerr)
		}
		ev := ptr.Elem().Interface().(events.Event)
		out, err := events.Marshal(ev)
		if err != nil {
			t.Fatalf("%s: decoded event does not re-marshal: %v", schema, err)
		}
		back := reflect.New(types[schema])
		if err := events.Unmarshal(schema, out, back.Interface()); err != nil || !reflect.DeepEqual(back.Elem().Interface(), ev) {
			t.Fatalf("%s: round trip changed the event:\n%+v\n%+v (%v)", schema, ev, back.Elem().Interface(), err)
		}
	})
}

// envHeaders are the headers Read looks at, in the order FuzzEnvelopeRead's
// values fill them.
var envHeaders = []string{events.HeaderID, events.HeaderMsgID, events.HeaderType, events.HeaderSource,
	events.HeaderTime, events.HeaderSubject, events.HeaderTraceParent, events.HeaderCorrelation}

// FuzzEnvelopeRead: any subject and header values give an envelope with an
// id and a type, chosen in the documented order, that survives a trip
// through its own headers.
func FuzzEnvelopeRead(f *testing.F) {
	f.Add("acct.requested", uint16(0), "", "", "", "", []byte(`{}`))
	f.Add("acct.routed.emea", uint16(0xff), "id-1", "acct.routed.v1", "REQ-1", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", []byte(nil))
	f.Add("acct.routed.", uint16(0b10), "", "", "", "", []byte("x"))
	f.Add("\x00\r\n acct.>", uint16(0b101), "a\r\nNats-Msg-Id: b", "\xff\xfe", "REQ 1", "\u2028", []byte{0xff})
	f.Fuzz(func(t *testing.T, subject string, present uint16, a, b, c, d string, payload []byte) {
		values := []string{a, a, b, b, c, c, d, d} // pairs, so ce-id and Nats-Msg-Id can agree or not
		values[1] = b + a
		h := nats.Header{}
		for i, k := range envHeaders {
			if present&(1<<i) != 0 {
				h.Set(k, values[i])
			}
		}
		env := events.Read(subject, h, payload)
		if !reflect.DeepEqual(env, events.Read(subject, h, payload)) {
			t.Fatal("Read is not deterministic")
		}
		sum := sha256.Sum256(payload)
		want := cmp.Or(h.Get(events.HeaderID), h.Get(events.HeaderMsgID), hex.EncodeToString(sum[:16]))
		if env.ID != want {
			t.Fatalf("id %q, want %q", env.ID, want)
		}
		if wantType := cmp.Or(h.Get(events.HeaderType), events.TypeOf(subject)); env.Type != wantType || env.Type == "" {
			t.Fatalf("type %q, want %q", env.Type, wantType)
		}
		if env.CorrelationID != cmp.Or(h.Get(events.HeaderCorrelation), h.Get(events.HeaderSubject)) {
			t.Fatalf("correlation %q", env.CorrelationID)
		}
		if got := events.Read("acct.other", env.Header(), []byte("other payload")); got != env {
			t.Fatalf("envelope changed through its headers:\n%+v\n%+v", env, got)
		}
		if schema, ok := events.SchemaFor(subject); ok && events.Kinds[schema] != subject && !strings.HasPrefix(subject, events.SubjectRoutedPrefix) {
			t.Fatalf("subject %q mapped to %s", subject, schema)
		}
	})
}

// integerNotation reports a number the schema counts as an integer (1.0,
// 1e3: JSON Schema looks at the value) but encoding/json will not put in an
// integer field (it looks at the spelling). No schema can tell them apart,
// and our publishers never write them; such an event fails with a decoding
// error and is dead-lettered, which is acceptable.
func integerNotation(err error) bool {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return false
	}
	n, ok := strings.CutPrefix(te.Value, "number ")
	return ok && strings.ContainsAny(n, ".eE")
}
