package ops_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/schemas"
)

func supportOps(t *testing.T) (*ops.Ops, *broker.Conn, *lifecycle.Store) {
	t.Helper()
	conn := brokertest.Connect(t, brokertest.Server(t))
	kv, err := conn.JS.KeyValue(context.Background(), broker.BucketRequests)
	if err != nil {
		t.Fatal(err)
	}
	store := lifecycle.NewStore(kv)
	now := time.Date(2026, 12, 3, 15, 42, 10, 0, time.UTC)
	return &ops.Ops{JS: conn.JS, Requests: store, Source: "acctflow/test", Now: func() time.Time { return now }}, conn, store
}

func TestChangeSupportFillsFromTheRequestAndPublishesOnce(t *testing.T) {
	o, conn, store := supportOps(t)
	ctx := context.Background()
	_, err := store.Update(ctx, "REQ-1001", func(r *lifecycle.Record) error {
		r.Request = &events.AccountRequested{RequestID: "REQ-1001", Reseller: events.Reseller{
			ID: "R-100", Name: "Northwind IT", PrimaryContact: events.Party{Name: "Jane Doe", Email: "jane@northwind.example"},
		}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	in := ops.SupportChangeInput{AccountID: "123456789012", RequestID: "REQ-1001", From: "Developer", To: " business "}
	ev, err := o.ChangeSupport(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^CHG-[0-9A-HJKMNP-TV-Z]{10}$`).MatchString(ev.ChangeID) || ev.From != "developer" || ev.To != "business" ||
		ev.Reseller.Name != "Northwind IT" || ev.ReportedBy.Email != "jane@northwind.example" || ev.ChangedAt != "2026-12-03T15:42:10.000Z" {
		t.Fatalf("event %+v", ev)
	}
	// A client retry with the same change id is one message.
	in.ChangeID = ev.ChangeID
	if _, err := o.ChangeSupport(ctx, in); err != nil {
		t.Fatal(err)
	}
	msgs := brokertest.Messages(t, conn, events.SubjectSupportChanged)
	if len(msgs) != 1 || msgs[0].Headers().Get(events.HeaderMsgID) != events.DerivedID("support-changed", ev.ChangeID) {
		t.Fatalf("%d messages", len(msgs))
	}
}

func TestChangeSupportReportsEveryFieldError(t *testing.T) {
	o, conn, _ := supportOps(t)
	ctx := context.Background()
	for _, c := range []struct {
		in   ops.SupportChangeInput
		want []string
	}{
		{ops.SupportChangeInput{AccountID: "12345", From: "business", To: "premium", ReportedBy: events.Party{Email: "ops@example.com"}, Reseller: events.ResellerName{ID: "R-1", Name: "N"}},
			[]string{"/account_id", "/to"}},
		{ops.SupportChangeInput{AccountID: "123456789012", From: "basic", To: "basic", ReportedBy: events.Party{Email: "ops@example.com"}, Reseller: events.ResellerName{ID: "R-1", Name: "N"}},
			[]string{"/to: same support type as from (basic)"}},
		{ops.SupportChangeInput{AccountID: "123456789012", From: "basic", To: "business"},
			[]string{"/reported_by", "/reseller"}},
	} {
		_, err := o.ChangeSupport(ctx, c.in)
		var ve *schemas.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%+v: %v, want a ValidationError", c.in, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %v lacks %q", c.in, err, w)
			}
		}
	}
	if _, err := o.ChangeSupport(ctx, ops.SupportChangeInput{AccountID: "123456789012", RequestID: "REQ-NOPE", From: "basic", To: "business"}); !ops.IsNotFound(err) {
		t.Fatalf("unknown request: %v", err)
	}
	if n := brokertest.Count(t, conn, events.SubjectSupportChanged); n != 0 {
		t.Fatalf("%d invalid changes published", n)
	}
}
