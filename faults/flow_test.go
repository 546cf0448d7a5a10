package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
)

// flow plays the people around acctflow for n requests: the contact who
// answers the confirmation and, after the follow-up, creates the IAM role
// and sends its ARN; ops who approve, report a support change, and recover
// a creation acctflow could not vouch for (the runbook of the alert). Each
// act is repeated only when its effect did not show, as people do.
type flow struct {
	w     *world
	n     int
	state []personState
	http  *http.Client
	api   int // index in w.apis of the API that answered last
	// replies counts the contacts' answers sent, for fault injectors
	// waiting for the flow to reach a stage.
	replies atomic.Int64

	mu       sync.Mutex
	atStage  map[lifecycle.Stage]int // requests per stage in the last pass
	progress float64                 // how far the flow has gone, 0..1
	over     bool                    // every request is done
}

// stagesOf are the stages a person acts at, in flow order; a request's
// progress is its index here plus one, and done after its ticket.
var stagesOf = []lifecycle.Stage{lifecycle.StageAwaitingDetails, lifecycle.StageDetailsReceived, lifecycle.StageApproved,
	lifecycle.StageCreated, lifecycle.StageRoleValidated}

func rank(stage lifecycle.Stage) int {
	for i, s := range stagesOf {
		if s == stage {
			return i + 1
		}
	}
	return 0
}

// waitProgress waits until the flow has gone frac (0..1) of the way, as
// of the last pass, or is over; it returns the stages requests were at
// then, and false when the flow is over.
func (f *flow) waitProgress(ctx context.Context, frac float64) ([]lifecycle.Stage, bool) {
	var at []lifecycle.Stage
	var over bool
	_ = waitFor(ctx, 50*time.Millisecond, func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		over = f.over
		if !over && f.progress < frac {
			return fmt.Errorf("%.2f of the way", f.progress)
		}
		at = at[:0]
		for _, s := range stagesOf {
			if f.atStage[s] > 0 {
				at = append(at, s)
			}
		}
		return nil
	})
	return at, !over && ctx.Err() == nil
}

type personState struct {
	replied   bool
	last      time.Time // of the last command sent for the current stage
	recovered bool      // ops recorded the account by hand after an alert
	done      bool
	failedAt  lifecycle.Stage // stage of the last act that failed and was logged
}

// retryAct is how long a person waits for a command's effect before sending
// it again (the command may have hit a process being killed).
const retryAct = 3 * time.Second

func newFlow(w *world, n int) *flow {
	return &flow{w: w, n: n, state: make([]personState, n), http: &http.Client{Timeout: 3 * time.Second}}
}

// drive makes passes over the requests until every one is done.
func (f *flow) drive(ctx context.Context) {
	for {
		kctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		kv, err := f.w.js.KeyValue(kctx, "requests")
		cancel()
		if err == nil && f.pass(ctx, kv) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// pass acts once on every request not done; it reports whether all are.
func (f *flow) pass(ctx context.Context, kv jetstream.KeyValue) bool {
	all := true
	seen := map[lifecycle.Stage]int{}
	ranks := 0
	defer func() {
		f.mu.Lock()
		f.atStage, f.over = seen, all
		f.progress = float64(ranks) / float64((len(stagesOf)+1)*f.n)
		f.mu.Unlock()
	}()
	for i := range f.n {
		s := &f.state[i]
		if s.done {
			ranks += len(stagesOf) + 1
			continue
		}
		all = false
		if ctx.Err() != nil {
			return false
		}
		gctx, cancel := context.WithTimeout(ctx, 2*time.Second) // a lost request must not stall the pass
		e, err := kv.Get(gctx, reqID(i))
		cancel()
		if err != nil {
			continue // not projected yet, or NATS is down for a moment
		}
		var rec lifecycle.Record
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			f.w.t.Errorf("record of %s: %v", reqID(i), err)
			continue
		}
		seen[rec.Stage]++
		ranks += rank(rec.Stage)
		if err := f.act(ctx, i, rec); err != nil && s.failedAt != rec.Stage {
			s.failedAt = rec.Stage // once per stage: outages make many
			f.w.t.Logf("%s at %s: %v (will try again)", reqID(i), rec.Stage, err)
		}
	}
	return all
}

func (f *flow) act(ctx context.Context, i int, rec lifecycle.Record) error {
	s := &f.state[i]
	due := time.Since(s.last) > retryAct
	switch rec.Stage {
	case lifecycle.StageAwaitingDetails:
		if s.replied {
			return nil
		}
		confs, _ := f.w.byKind(contact(i), mailer.KindConfirmation)
		if len(confs) == 0 {
			return nil
		}
		if err := f.w.answer(i, confs[0]); err != nil {
			return err
		}
		s.replied = true
		f.replies.Add(1)
	case lifecycle.StageDetailsReceived:
		if due {
			s.last = time.Now()
			return f.post(ctx, "/v1/requests/"+reqID(i)+"/approve", `{"by":"ops@faults.example"}`)
		}
	case lifecycle.StageApproved:
		if !s.recovered {
			return f.recover(ctx, i)
		}
	case lifecycle.StageCreated:
		if !due || rec.Account == nil {
			return nil
		}
		follow, _ := f.w.byKind(contact(i), mailer.KindFollowup)
		if len(follow) == 0 {
			return nil
		}
		ext := field(follow[0].text, "External ID")
		if ext == "" {
			return errors.New("follow-up without an External ID line")
		}
		arn := "arn:aws:iam::" + rec.Account.AccountID + ":role/AcctflowAccess"
		f.w.aws.AddRole(arn, ext)
		s.last = time.Now()
		return f.post(ctx, "/v1/requests/"+reqID(i)+"/role", fmt.Sprintf(`{"role_arn":%q}`, arn))
	case lifecycle.StageRoleValidated:
		if len(rec.SupportChanges) > 0 && rec.SupportChanges[0].TicketID != "" {
			s.done = true
			return nil
		}
		if len(rec.SupportChanges) == 0 && due && rec.Account != nil {
			s.last = time.Now()
			return f.post(ctx, "/v1/accounts/"+rec.Account.AccountID+"/support-changes",
				fmt.Sprintf(`{"from":"business","to":"developer","request_id":%q,"change_id":%q}`, reqID(i), changeID(i)))
		}
	case lifecycle.StageRejected, lifecycle.StageCreationFailed:
		s.done = true // verify counts it as not at its final stage
	}
	return nil
}
