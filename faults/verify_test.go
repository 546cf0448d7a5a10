package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/helpdesk"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
)

// tally is what verify counts; dup* are effects beyond the one expected.
type tally struct {
	lost, notFinal              int
	dupRouted                   int
	dupConfirm, resentConfirm   int // distinct Message-IDs beyond one; copies of the same one
	dupFollowup, resentFollowup int
	dupCreate, dupTicket        int
	otherMail                   int // clarifications, role rejections: none expected
	dlq                         int
	recovered                   int
	exits                       int // processes that exited on their own (restarted)
	drain                       time.Duration
	firstBad                    string
}

// verify waits for the consumers to go idle after the flow, checks every
// request and effect from the outside, prints the table row and fails on
// any lost request or duplicated effect.
func (w *world) verify(ctx context.Context, profile string, faults string) {
	t := w.t
	n := w.flow.n
	if err := waitFor(ctx, 250*time.Millisecond, func() error {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // tried once even when ctx is over
		defer cancel()
		return consumersIdle(cctx, w.js)
	}); err != nil {
		t.Errorf("not drained: %v", err)
	}
	var c tally
	c.drain = time.Since(w.start)
	// The checks get their own time: a run that timed out still prints its table.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bad := func(format string, args ...any) {
		if c.firstBad == "" {
			c.firstBad = fmt.Sprintf(format, args...)
		}
	}
	kv, err := w.js.KeyValue(ctx, "requests")
	if err != nil {
		t.Fatalf("opening KV requests: %v", err)
	}
	for i := range n {
		s := w.flow.state[i]
		if s.recovered {
			c.recovered++
		}
		rec, err := record(ctx, kv, reqID(i))
		switch {
		case err != nil:
			c.lost++
			bad("%s: no record: %v", reqID(i), err)
			continue
		case rec.Stage != lifecycle.StageRoleValidated || len(rec.SupportChanges) != 1 || rec.SupportChanges[0].TicketID == "":
			c.notFinal++
			bad("%s at %s with %d support changes", reqID(i), rec.Stage, len(rec.SupportChanges))
		}
		confs, distinct := w.byKind(contact(i), mailer.KindConfirmation)
		if len(confs) == 0 {
			c.lost++
			bad("%s: no confirmation", reqID(i))
		}
		c.dupConfirm += max(distinct-1, 0)
		c.resentConfirm += len(confs) - distinct
		follows, distinct := w.byKind(contact(i), mailer.KindFollowup)
		if len(follows) == 0 {
			bad("%s: no follow-up", reqID(i))
		}
		c.dupFollowup += max(distinct-1, 0)
		c.resentFollowup += len(follows) - distinct
		// One acknowledgement per submission of details (its Message-ID
		// names the submission: "acknowledgement.<submission>").
		acks := 0
		for _, raw := range w.mail().Messages(contact(i)) {
			if strings.HasPrefix(readMail(raw).kind(), mailer.KindAcknowledgement+".") {
				acks++
			}
		}
		if acks == 0 {
			bad("%s: no acknowledgement", reqID(i))
		}
		if got := len(w.mail().Messages(contact(i))) - len(confs) - len(follows) - acks; got > 0 {
			c.otherMail += got
			bad("%s: %d unexpected mails to the contact", reqID(i), got)
		}
		if calls := w.aws.CreateCallsFor(rootEmail(i)); calls != 1 {
			c.dupCreate += max(calls-1, 0)
			bad("%s: %d CreateAccount calls", reqID(i), calls)
		}
		if k := w.desk.CountWithTag(helpdesk.ChangeTag(changeID(i))); k != 1 {
			c.dupTicket += max(k-1, 0)
			bad("%s: %d tickets", reqID(i), k)
		}
	}
	c.dupRouted = countSubject(ctx, w, "acct.routed.>") - n
	c.dlq = w.explainDLQ(ctx)
	for _, p := range w.procs {
		c.exits += p.exits()
	}
	t.Logf("\n| profile | requests | faults injected | lost | not at final stage | duplicated effects (routing / confirmation / follow-up / CreateAccount / ticket) | same-Message-ID resends (confirmation / follow-up) | unexpected mails | ops recoveries | unplanned exits | DLQ | time to drain |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|\n| %s | %d | %s | %d | %d | %d / %d / %d / %d / %d | %d / %d | %d | %d | %d | %d | %s |",
		profile, n, faults, c.lost, c.notFinal, c.dupRouted, c.dupConfirm, c.dupFollowup, c.dupCreate, c.dupTicket,
		c.resentConfirm, c.resentFollowup, c.otherMail, c.recovered, c.exits, c.dlq, c.drain.Round(time.Millisecond))
	if c.lost+c.notFinal+c.dupRouted+c.dupConfirm+c.dupFollowup+c.dupCreate+c.dupTicket+c.otherMail+c.dlq > 0 {
		t.Fatalf("faults broke a guarantee (see the table; first: %s); logs in %s", c.firstBad, w.dir)
	}
}

func record(ctx context.Context, kv jetstream.KeyValue, id string) (lifecycle.Record, error) {
	var rec lifecycle.Record
	e, err := kv.Get(ctx, id)
	if err != nil {
		return rec, err
	}
	return rec, json.Unmarshal(e.Value(), &rec)
}

// explainDLQ logs every dead letter with its handler and error, so that a
// failing run says why, and returns their number.
func (w *world) explainDLQ(ctx context.Context) int {
	s, err := w.js.Stream(ctx, events.DLQStream)
	if err != nil {
		w.t.Errorf("opening the DLQ stream: %v", err)
		return -1
	}
	info, err := s.Info(ctx)
	if err != nil {
		w.t.Errorf("reading the DLQ stream: %v", err)
		return -1
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		w.t.Logf("DLQ %s handler=%s deliveries=%s: %s", m.Subject, m.Header.Get("acctflow-handler"),
			m.Header.Get("acctflow-deliveries"), m.Header.Get("acctflow-error"))
	}
	return int(info.State.Msgs)
}

func consumersIdle(ctx context.Context, js jetstream.JetStream) error {
	stream, err := js.Stream(ctx, events.Stream)
	if err != nil {
		return err
	}
	lister := stream.ListConsumers(ctx)
	var busy []string
	for info := range lister.Info() {
		if info.NumPending > 0 || info.NumAckPending > 0 {
			busy = append(busy, fmt.Sprintf("%s: %d pending, %d unacknowledged", info.Name, info.NumPending, info.NumAckPending))
		}
	}
	if err := lister.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		return err
	}
	if len(busy) > 0 {
		return errors.New(strings.Join(busy, "; "))
	}
	return nil
}

func countSubject(ctx context.Context, w *world, filter string) int {
	s, err := w.js.Stream(ctx, events.Stream)
	if err != nil {
		w.t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		w.t.Fatal(err)
	}
	total := 0
	for _, c := range info.State.Subjects {
		total += int(c)
	}
	return total
}
