package lifecycle_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// The reference model: DESIGN §4's table written out again, independently
// of the package's, over abstract events. The projection must agree with it
// whatever the order, duplication or replay of deliveries.

type mkind int

const (
	mRequested mkind = iota
	mRouted
	mRejectedRouting
	mRejectedOps
	mConflict
	mConfirmation
	mSubmitted
	mIncomplete
	mExpired
	mApproved
	mRetry
	mCreated
	mCreateFailed
	mRootRefused
	mRoleValidated
	mRoleRejected
	mRoleUnverified
	// Annotations: never move a stage.
	mRoleSubmitted
	mSupportChanged
	mTicket
	mHeld
	mReleased
	mReminder
	mEffectFailed
	mKinds
)

// mevent is one abstract event in the stream: kind, position, and for
// requests which of two bodies it carries.
type mevent struct {
	kind mkind
	seq  uint64
	body int
}

// modelStage folds events in stream order through the reference table.
func modelStage(evs []mevent) lifecycle.Stage {
	evs = slices.Clone(evs)
	slices.SortFunc(evs, func(a, b mevent) int { return int(a.seq) - int(b.seq) })
	stage, body, rejectedBy := "", -1, ""
	for _, e := range evs {
		k := e.kind
		switch stage {
		case "":
			switch k {
			case mRequested:
				stage, body = "requested", e.body
			case mRouted:
				stage, body = "routed", e.body
			case mRejectedRouting: // it carries the request
				stage, body, rejectedBy = "rejected", e.body, "routing"
			}
		case "requested":
			switch k {
			case mRequested:
				body = e.body
			case mRouted: // it carries the request as routed
				stage, body = "routed", e.body
			case mRejectedRouting:
				stage, rejectedBy = "rejected", "routing"
			case mRejectedOps:
				stage, rejectedBy = "rejected", "ops"
			}
		case "rejected":
			if k == mRequested && rejectedBy == "routing" && e.body != body {
				stage, body = "requested", e.body
			}
		case "routed":
			if k == mConfirmation {
				stage = "awaiting_details"
			}
		case "awaiting_details":
			switch k {
			case mSubmitted:
				stage = "details_received"
			case mExpired:
				stage = "expired"
			case mRejectedRouting, mRejectedOps:
				stage = "rejected"
				rejectedBy = map[mkind]string{mRejectedRouting: "routing", mRejectedOps: "ops"}[k]
			}
		case "details_received":
			switch k {
			case mApproved, mRetry:
				stage = "approved"
			case mRejectedRouting, mRejectedOps:
				stage = "rejected"
				rejectedBy = map[mkind]string{mRejectedRouting: "routing", mRejectedOps: "ops"}[k]
			}
		case "approved":
			switch k {
			case mCreated:
				stage = "created"
			case mCreateFailed:
				stage = "creation_failed"
			case mRootRefused:
				stage = "awaiting_details"
			}
		case "creation_failed":
			switch k {
			case mIncomplete:
				stage = "awaiting_details"
			case mApproved, mRetry:
				stage = "approved"
			case mCreated:
				stage = "created"
			}
		case "created":
			switch k {
			case mRoleValidated:
				stage = "role_validated"
			case mRoleUnverified:
				stage = "role_unverified"
			}
		case "role_unverified":
			if k == mRoleValidated {
				stage = "role_validated"
			}
		}
	}
	return lifecycle.Stage(stage)
}

// forward lists the stage changes the reference table allows.
var forward = map[[2]lifecycle.Stage]bool{}

func init() {
	for _, p := range [][2]string{
		{"", "requested"}, {"", "routed"}, {"", "rejected"}, {"requested", "routed"}, {"requested", "rejected"}, {"rejected", "requested"},
		{"routed", "awaiting_details"}, {"awaiting_details", "details_received"}, {"awaiting_details", "expired"},
		{"awaiting_details", "rejected"}, {"details_received", "approved"}, {"details_received", "rejected"},
		{"approved", "created"}, {"approved", "creation_failed"}, {"approved", "awaiting_details"},
		{"creation_failed", "awaiting_details"}, {"creation_failed", "approved"}, {"creation_failed", "created"},
		{"created", "role_validated"}, {"created", "role_unverified"}, {"role_unverified", "role_validated"},
	} {
		forward[[2]lifecycle.Stage{lifecycle.Stage(p[0]), lifecycle.Stage(p[1])}] = true
	}
}

// payload renders an abstract event as the real event of REQ-M.1 (an id
// with a dot, as DESIGN §3 allows).
func payload(e mevent) events.Event {
	const id = "REQ-M.1"
	at := events.Time(time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC).Add(time.Duration(e.seq) * time.Minute))
	req := events.AccountRequested{RequestID: id, RequestedAt: at, Provider: "aws",
		Reseller: events.Reseller{ID: "R-1", Name: "Northwind IT", Country: "US",
			PrimaryContact: events.Party{Name: "Jane Doe", Email: "jane@northwind.example"}},
		Customer:  events.Customer{ID: "C-1", Name: []string{"Acme Corp", "Acme Corporation"}[e.body&1]},
		Pricebook: events.Pricebook{Present: true, InvoiceCurrency: "USD", ProviderEnabledInPortal: true}}
	root, nick, support := "root@acme.example", "acme-prod", events.SupportBusiness
	arn := "arn:aws:iam::123456789012:role/Distributor"
	switch e.kind {
	case mRequested:
		return req
	case mRouted:
		return events.AccountRouted{RequestID: id, Region: "us", OpsTeam: "ops-us", ReplyChannel: events.ReplyWorkflow, RoutedAt: at, Request: req}
	case mRejectedRouting:
		return events.RequestRejected{RequestID: id, Reasons: []string{events.ReasonPricebookMissing}, RejectedBy: "routing", RejectedAt: at, Request: &req}
	case mRejectedOps:
		return events.RequestRejected{RequestID: id, Reasons: []string{events.ReasonOpsRejected}, Detail: "no", RejectedBy: "ops", RejectedAt: at}
	case mConflict:
		return events.RequestRejected{RequestID: id, Reasons: []string{events.ReasonRequestIDConflict}, RejectedBy: "routing", RejectedAt: at, Request: &req}
	case mConfirmation:
		return events.ConfirmationSent{RequestID: id, MessageID: "m@acctflow.example", Recipient: "jane@northwind.example", ReplyTo: "a+REQ-M=1.0123456789ab@acctflow.example", SentAt: at}
	case mSubmitted:
		return events.DetailsSubmitted{RequestID: id, RootEmail: root, Nickname: nick, SupportType: support, SubmittedAt: at}
	case mIncomplete:
		return events.DetailsIncomplete{RequestID: id, Problems: []string{"support_type_missing"}, RootEmail: &root, Nickname: &nick, ReceivedAt: at}
	case mExpired:
		return events.RequestExpired{RequestID: id, WaitingSince: at, ExpiredAt: at}
	case mApproved:
		return events.AccountApproved{RequestID: id, ApprovedBy: "ops", ApprovedAt: at}
	case mRetry:
		return events.AccountApproved{RequestID: id, ApprovedBy: "ops", Retry: 1 + e.body, ApprovedAt: at}
	case mCreated:
		return events.AccountCreated{RequestID: id, AccountID: "123456789012", Method: events.MethodManual, CreatedAt: at}
	case mCreateFailed:
		return events.AccountCreationFailed{RequestID: id, FailureReason: "ACCOUNT_LIMIT_EXCEEDED", FailedAt: at}
	case mRootRefused:
		return events.AccountCreationFailed{RequestID: id, FailureReason: "EMAIL_ALREADY_EXISTS", NewRootEmailNeeded: true, FailedAt: at}
	case mRoleValidated:
		return events.RoleValidated{RequestID: id, RoleARN: arn, AccountID: "123456789012", ValidatedAt: at}
	case mRoleRejected:
		return events.RoleRejected{RequestID: id, RoleARN: arn, Reason: "access_denied", Explanation: "no", RejectedAt: at}
	case mRoleUnverified:
		return events.RoleUnverified{RequestID: id, RoleARN: arn, Reason: "no AWS access configured", UnverifiedAt: at}
	case mRoleSubmitted:
		return events.RoleSubmitted{RequestID: id, RoleARN: arn, SubmittedAt: at}
	case mSupportChanged:
		return events.SupportChanged{ChangeID: "CHG-1", AccountID: "123456789012", RequestID: id, From: events.SupportBusiness, To: events.SupportBasic,
			ChangedAt: at, ReportedBy: events.Party{Name: "Ops", Email: "ops@d.example"}, Reseller: events.ResellerName{ID: "R-1", Name: "N"}}
	case mTicket:
		return events.TicketCreated{ChangeID: "CHG-1", RequestID: id, TicketID: "77", System: events.TicketFreshdesk, CreatedAt: at}
	case mHeld:
		return events.ReplyHeld{ReplyID: "0123456789abcdef", RequestID: id, Reason: events.HoldUnverifiedSender, MatchedBy: events.MatchedSubject, HeldAt: at}
	case mReleased:
		return events.ReplyReleased{ReplyID: "0123456789abcdef", RequestID: id, By: events.ReleasedByOps, ReleasedAt: at}
	case mReminder:
		return events.ReminderSent{RequestID: id, Number: 1 + e.body, MessageID: "r@acctflow.example", Recipient: "jane@northwind.example", WaitingSince: at, SentAt: at}
	case mEffectFailed:
		return events.EffectFailed{RequestID: id, Effect: events.EffectEmail, Kind: "confirmation", Outcome: events.OutcomeDeadLettered,
			Handler: "confirmation", Input: "acct.routed.us", Error: "550 no such user", FailedAt: at}
	}
	panic(fmt.Sprintf("kind %d", e.kind))
}

// stream generates a plausible-to-hostile stream: mostly the flow's order,
// with every kind of event anywhere.
func stream(rng *rand.Rand) []mevent {
	happy := []mkind{mRequested, mRouted, mConfirmation, mIncomplete, mSubmitted, mApproved, mCreated, mRoleSubmitted, mRoleRejected, mRoleValidated, mSupportChanged, mTicket}
	var out []mevent
	for i := 0; i < 6+rng.IntN(24); i++ {
		k := mkind(rng.IntN(int(mKinds)))
		if rng.IntN(3) > 0 && i < len(happy) {
			k = happy[i]
		}
		out = append(out, mevent{kind: k, seq: uint64(10 * (i + 1)), body: rng.IntN(2)})
	}
	return out
}

func deliver(t *testing.T, r *lifecycle.Record, e mevent, roundTrip bool) {
	t.Helper()
	ev := payload(e)
	data, err := events.Marshal(ev)
	if err != nil {
		t.Fatalf("%T: %v", ev, err)
	}
	if roundTrip { // as the store does between two events
		b, _ := json.Marshal(r)
		*r = lifecycle.Record{}
		if err := json.Unmarshal(b, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := lifecycle.Apply(r, ev.Subject(), data, events.Envelope{ID: fmt.Sprintf("ev-%d", e.seq)}, e.seq); err != nil {
		t.Fatalf("applying %T at %d: %v", ev, e.seq, err)
	}
}

// TestModel: random streams delivered in order with duplicates and replays,
// and shuffled. After every delivery the projection's stage equals the
// model's over the events seen so far; delivered in order, every change of
// stage is one the table allows, so a request never rewinds.
func TestModel(t *testing.T) {
	for i := range 3000 {
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		evs := stream(rng)

		var inOrder lifecycle.Record
		var seen []mevent
		for j := 0; j < len(evs); j++ {
			e := evs[j]
			if rng.IntN(4) == 0 && len(seen) > 0 { // a redelivery or replay of an earlier event
				e = seen[rng.IntN(len(seen))]
				j--
			} else {
				seen = append(seen, e)
			}
			before := inOrder.Stage
			deliver(t, &inOrder, e, rng.IntN(2) == 0)
			if after := inOrder.Stage; after != before && !forward[[2]lifecycle.Stage{before, after}] {
				t.Fatalf("seed %d: %s → %s on %v: not a transition of the table", i, before, after, e.kind)
			}
			if want := modelStage(seen); inOrder.Stage != want {
				t.Fatalf("seed %d, in order: stage %q, model %q after %v\n%s", i, inOrder.Stage, want, kinds(seen), history(inOrder))
			}
		}

		var shuffled lifecycle.Record
		order := slices.Clone(evs)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		seen = seen[:0]
		for _, e := range order {
			seen = append(seen, e)
			deliver(t, &shuffled, e, rng.IntN(2) == 0)
			if want := modelStage(seen); shuffled.Stage != want {
				t.Fatalf("seed %d, shuffled: stage %q, model %q after %v", i, shuffled.Stage, want, kinds(seen))
			}
		}
		a, _ := json.Marshal(inOrder)
		b, _ := json.Marshal(shuffled)
		if string(a) != string(b) {
			t.Fatalf("seed %d: the order of delivery changed the record:\n%s\n%s", i, a, b)
		}
	}
}

func kinds(evs []mevent) []mkind {
	out := make([]mkind, len(evs))
	for i, e := range evs {
		out[i] = e.kind
	}
	return out
}

func history(r lifecycle.Record) string {
	s := ""
	for _, e := range r.History {
		s += fmt.Sprintf("  %d %s → %q %s\n", e.Seq, e.Event, e.Stage, e.Ignored)
	}
	return s
}
