package lifecycle_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// flow is one request's events in their usual order; FuzzApply replays a
// prefix of it so the fuzzed event lands on a record at any stage.
func flow() []events.Event {
	at := events.Time(time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC))
	req := events.AccountRequested{RequestID: "REQ-1001", RequestedAt: at, Provider: "aws",
		Reseller: events.Reseller{ID: "R-1", Name: "Northwind IT", Country: "US",
			PrimaryContact: events.Party{Name: "Jane Doe", Email: "jane@northwind.example"}},
		Customer:  events.Customer{ID: "C-1", Name: "Acme Corp"},
		Pricebook: events.Pricebook{Present: true, InvoiceCurrency: "USD", ProviderEnabledInPortal: true}}
	nick := "acme-prod"
	return []events.Event{
		req,
		events.AccountRouted{RequestID: "REQ-1001", Region: "us", OpsTeam: "ops-us", ReplyChannel: events.ReplyWorkflow, RoutedAt: at, Request: req},
		events.ConfirmationSent{RequestID: "REQ-1001", MessageID: "abc@acctflow.example", Recipient: "jane@northwind.example", ReplyTo: "acct+REQ-1001.0a1b@acctflow.example", SentAt: at},
		events.ReplyReceived{ReplyID: "0123456789abcdef", Mailbox: "INBOX", UIDValidity: 7, UID: 42, Object: "INBOX/7/42", Size: 2048, ReceivedAt: at},
		events.DetailsIncomplete{RequestID: "REQ-1001", Problems: []string{"support_type_missing"}, Nickname: &nick, ReceivedAt: at},
		events.ReplyRejected{ReplyID: "0123456789abcdef", Reason: events.ReplyAutoReply, RejectedAt: at},
		events.DetailsSubmitted{RequestID: "REQ-1001", RootEmail: "root@acme.example", Nickname: nick, SupportType: events.SupportBusiness, SubmittedAt: at},
		events.AccountApproved{RequestID: "REQ-1001", ApprovedBy: "ops", ApprovedAt: at},
		events.AccountCreationFailed{RequestID: "REQ-1001", FailureReason: "EMAIL_ALREADY_EXISTS", NewRootEmailNeeded: true, FailedAt: at},
		events.AccountCreated{RequestID: "REQ-1001", AccountID: "123456789012", Method: events.MethodManual, CreatedAt: at},
		events.RoleSubmitted{RequestID: "REQ-1001", RoleARN: "arn:aws:iam::123456789012:role/D", SubmittedAt: at},
		events.RoleRejected{RequestID: "REQ-1001", RoleARN: "arn:aws:iam::123456789012:role/D", Reason: "access_denied", Explanation: "no", RejectedAt: at},
		events.RoleValidated{RequestID: "REQ-1001", RoleARN: "arn:aws:iam::123456789012:role/D", AccountID: "123456789012", ValidatedAt: at},
		events.SupportGroupMissing{RequestID: "REQ-1001", ExpectedGroup: events.GroupBusinessSupport, Cause: "not_assigned", DetectedAt: at},
		events.SupportGroupAssigned{RequestID: "REQ-1001", Group: events.GroupBusinessSupport, AssignedAt: at},
		events.SupportChanged{ChangeID: "CHG-1", AccountID: "123456789012", RequestID: "REQ-1001", From: events.SupportBusiness, To: events.SupportBasic, ChangedAt: at,
			ReportedBy: events.Party{Name: "Ops", Email: "ops@d.example"}, Reseller: events.ResellerName{ID: "R-1", Name: "Northwind IT"}},
		events.TicketCreated{ChangeID: "CHG-1", TicketID: "77", System: events.TicketFreshdesk, CreatedAt: at},
		events.RequestRejected{RequestID: "REQ-1001", Reasons: []string{events.ReasonOpsRejected}, RejectedBy: "ops", RejectedAt: at},
	}
}

var stages = append([]lifecycle.Stage{lifecycle.StageNew}, lifecycle.Stages...)

func encode(t *testing.T, r *lifecycle.Record) []byte {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("record no longer encodes: %v", err)
	}
	return data
}

// FuzzApply folds an arbitrary payload, on any event subject, at any stream
// position, into a record at any stage of the flow.
func FuzzApply(f *testing.F) {
	subjects := make([]string, 0, len(events.Kinds))
	for _, s := range events.Kinds {
		subjects = append(subjects, s)
	}
	sort.Strings(subjects)
	seeds := flow()
	for i, e := range seeds {
		data, err := events.Marshal(e)
		if err != nil {
			f.Fatalf("seed %s: %v", e.Schema(), err)
		}
		k := uint8(slices.Index(subjects, events.Kinds[e.Schema()]))
		f.Add(uint8(i), k, "emea", data, uint64(i+1), "id-new")
		f.Add(uint8(len(seeds)), k, "us", data, uint64(0), "id-1") // old event, and a replayed id
	}
	f.Add(uint8(3), uint8(len(subjects)), "acct.unknown", []byte(`{}`), uint64(1<<63), "")
	f.Add(uint8(9), uint8(0), "", []byte(`{"request_id":"REQ-1001","request_id":"REQ-2"}`), ^uint64(0), "\xff")
	f.Fuzz(func(t *testing.T, prefix, kind uint8, region string, data []byte, seq uint64, id string) {
		var r lifecycle.Record
		for i, e := range seeds[:int(prefix)%(len(seeds)+1)] {
			payload, _ := events.Marshal(e)
			env := events.Envelope{ID: "id-" + string(rune('a'+i))}
			if err := lifecycle.Apply(&r, e.Subject(), payload, env, uint64(10*(i+1))); err != nil {
				t.Fatalf("replaying %s: %v", e.Schema(), err)
			}
		}
		subject := region // past the known kinds: an arbitrary subject
		if int(kind) < len(subjects) {
			subject = strings.Replace(subjects[kind], "{region}", region, 1)
		}
		before := encode(t, &r)
		err := lifecycle.Apply(&r, subject, data, events.Envelope{ID: id}, seq)
		after := encode(t, &r)
		if err != nil {
			if !bytes.Equal(before, after) {
				t.Fatalf("failed apply (%v) changed the record:\n%s\n%s", err, before, after)
			}
			return
		}
		if !slices.ContainsFunc(r.History, func(e lifecycle.Entry) bool { return e.Seq == seq }) {
			t.Fatalf("applied event not in the history: %+v", r.History)
		}
		var back lifecycle.Record
		if err := json.Unmarshal(after, &back); err != nil || !bytes.Equal(after, encode(t, &back)) {
			t.Fatalf("record does not survive the KV round trip (%v):\n%s", err, after)
		}
		// A redelivery meets the record as KV gave it back.
		if err := lifecycle.Apply(&back, subject, data, events.Envelope{ID: id}, seq); err != nil || !bytes.Equal(after, encode(t, &back)) {
			t.Fatalf("replaying the same event changed the stored record (%v)", err)
		}
		if !slices.Contains(stages, r.Stage) {
			t.Fatalf("unknown stage %q", r.Stage)
		}
		if !slices.IsSortedFunc(r.History, func(a, b lifecycle.Entry) int { return cmp.Compare(a.Seq, b.Seq) }) {
			t.Fatalf("history out of order: %+v", r.History)
		}
		// The stage is the one the last accepted event led to.
		var last lifecycle.Entry
		for _, e := range r.History {
			if e.Stage != "" {
				last = e
			}
		}
		if r.Stage != last.Stage || r.StageSeq != last.Seq {
			t.Fatalf("stage %s@%d does not follow history %+v", r.Stage, r.StageSeq, r.History)
		}
	})
}

// Ids that are not UTF-8 (header bytes can be anything) keep working once
// the record has been through KV, where JSON turns them into U+FFFD: the
// same event redelivered is still recognised, and an event whose id really
// is U+FFFD is not taken for it.
func TestApplyNonUTF8IDsAfterKV(t *testing.T) {
	var r lifecycle.Record
	for i, id := range []string{"\xff", "\xff", "\ufffd"} {
		e := flow()[15].(events.SupportChanged)
		e.ChangeID = "CHG-" + string(rune('A'+i/2)) // the redelivery repeats the first
		data, err := events.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back lifecycle.Record
		if err := json.Unmarshal(encode(t, &r), &back); err != nil {
			t.Fatal(err)
		}
		r = back
		if err := lifecycle.Apply(&r, e.Subject(), data, events.Envelope{ID: id}, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.SupportChanges) != 2 || len(r.History) != 2 {
		t.Fatalf("changes %+v, history %+v", r.SupportChanges, r.History)
	}
}
