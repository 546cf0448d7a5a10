package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// outage runs the whole flow on one serve process (embedded NATS) while
// inject breaks something outside acctflow; inject returns what it did.
func outage(t *testing.T, profile string, inject func(ctx context.Context, w *world, n int) string) {
	t.Parallel()
	n := profileSize(shortN, 1000)
	w := newWorld(t)
	natsAddr := freePort(t)
	w.serve("serve", true, "--data-dir", filepath.Join(w.dir, "data"), "--nats-listen", natsAddr).start()
	w.connect("nats://" + natsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), budget(n))
	defer cancel()
	w.flow = newFlow(w, n) // before inject runs, which may watch it
	what := make(chan string, 1)
	go func() { what <- inject(ctx, w, n) }()
	w.run(ctx, n)
	w.verify(ctx, profile, <-what)
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// TestSMTPOutage: the mail server (SMTP and IMAP) goes away for a while
// early in the run and comes back on the same addresses and store.
func TestSMTPOutage(t *testing.T) {
	outage(t, "smtp-outage", func(ctx context.Context, w *world, n int) string {
		down := 4 * time.Second
		w.stopMail()
		pause(ctx, down)
		w.startMail()
		return fmt.Sprintf("mail server down for %s at the start", down)
	})
}

// TestIMAPDrops: the mail server is closed and restarted at random moments
// while replies are read, dropping the readers' IMAP connections (and IDLE)
// mid-session; mailboxes, UIDs and UIDVALIDITY persist.
func TestIMAPDrops(t *testing.T) {
	outage(t, "imap-drops", func(ctx context.Context, w *world, n int) string {
		drops := 3
		if n > shortN {
			drops = envInt("ACCTFLOW_FAULTS_KILLS", 12)
		}
		done := 0
		for k := range drops {
			// Spread over the replies being read: the k-th drop once
			// k/(drops+1) of the contacts have answered.
			want := int64(max(1, n*(k+1)/(drops+1)))
			if waitFor(ctx, 50*time.Millisecond, func() error {
				if w.flow.replies.Load() < want {
					return fmt.Errorf("%d replies sent", w.flow.replies.Load())
				}
				return nil
			}) != nil {
				break
			}
			pause(ctx, rand.N(500*time.Millisecond))
			w.stopMail()
			pause(ctx, 300*time.Millisecond)
			w.startMail()
			done++
		}
		return fmt.Sprintf("%d IMAP (and SMTP) connection drops", done)
	})
}

// TestHelpDeskOutage: the help desk answers 503, then 429 with
// Retry-After, to the first ticket creates and searches.
func TestHelpDeskOutage(t *testing.T) {
	outage(t, "helpdesk-outage", func(ctx context.Context, w *world, n int) string {
		fails := n/2 + 3
		w.desk.FailNext(fails, 503, 0)
		w.desk.FailNext(3, 429, time.Second)
		w.desk.FailNextSearch(3, 500, 0)
		return fmt.Sprintf("%d ticket creates answered 503, 3 answered 429 (Retry-After 1s), 3 searches 500", fails)
	})
}

// TestAWSThrottling: Organizations and STS answer throttling errors
// (TooManyRequestsException, ThrottlingException, HTTP 429) to a run of
// calls once the first account creations begin.
func TestAWSThrottling(t *testing.T) {
	outage(t, "aws-throttling", func(ctx context.Context, w *world, n int) string {
		// Start when the first approval is near, so that CreateAccount,
		// DescribeCreateAccountStatus and AssumeRole all meet the faults.
		_ = waitFor(ctx, 100*time.Millisecond, func() error {
			if w.flow.replies.Load() == 0 {
				return fmt.Errorf("no reply yet")
			}
			return nil
		})
		k := n/2 + 2
		w.aws.FailNext(k, "TooManyRequestsException")
		w.aws.FailNext(k, "ThrottlingException")
		w.aws.FailNext(2, "429")
		return fmt.Sprintf("%d AWS calls throttled (TooManyRequestsException, ThrottlingException, 429)", 2*k+2)
	})
}
