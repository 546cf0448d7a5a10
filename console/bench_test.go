package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/console"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
)

// seedOpen writes n open requests of region us into the index of open
// requests, as the projection does (lifecycle.Index.Sync), spread over
// every group.
func seedOpen(b *testing.B, index *lifecycle.Index, n int) {
	b.Helper()
	stages := []lifecycle.Stage{lifecycle.StageAwaitingDetails, lifecycle.StageDetailsReceived, lifecycle.StageApproved,
		lifecycle.StageCreated, lifecycle.StageRoleValidated, lifecycle.StageRouted}
	start := time.Now().Add(-30 * 24 * time.Hour)
	ctx := context.Background()
	for i := range n {
		id := fmt.Sprintf("REQ-%06d", i)
		req := handlertest.Request(id)
		req.Customer.Name = fmt.Sprintf("Customer %d <Holdings & Co>", i)
		rec := lifecycle.Record{
			RequestID: id, Region: "us", Stage: stages[i%len(stages)], StageAt: events.Time(start.Add(time.Duration(i) * time.Minute)),
			Request: &req, Known: lifecycle.Known{RootEmail: fmt.Sprintf("aws-root-%d@acme.example", i)},
		}
		if i%7 == 0 {
			rec.Reminders = []lifecycle.Reminder{{Number: 1, SentAt: rec.StageAt}}
		}
		if i%50 == 0 {
			rec.Failures = []lifecycle.Failure{{Effect: events.EffectEmail, Outcome: events.OutcomeDeadLettered, Error: "smtp 550 5.1.1 mailbox unavailable", At: rec.StageAt}}
		}
		if err := index.Sync(ctx, lifecycle.Record{}, rec, uint64(i+1)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegionPage5000 is the page load of a region with 5,000 open
// requests: the index read and the whole page rendered (target: under
// 300 ms on a 2-core machine).
func BenchmarkRegionPage5000(b *testing.B) {
	const n = 5000
	conn := brokertest.Connect(b, brokertest.Server(b))
	store := handlertest.Store(b, conn)
	index := lifecycle.NewIndex(brokertest.KV(b, conn, broker.BucketOpen))
	seedOpen(b, index, n)
	ui, err := console.New(console.Config{
		Ops:     &ops.Ops{JS: conn.JS, Requests: store, Source: "bench", Now: time.Now},
		Records: store, Index: index, Regions: []console.Region{{Name: "us", OpsTeam: "US"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	h := ui.Handler()
	get := func() *httptest.ResponseRecorder {
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest("GET", "/ui/regions/us", nil))
		return rr
	}
	if rr := get(); rr.Code != http.StatusOK || strings.Count(rr.Body.String(), `<tr id="r-`) != n {
		b.Fatalf("%d, %d rows", rr.Code, strings.Count(rr.Body.String(), `<tr id="r-`))
	}
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			if _, err := index.Open(context.Background(), "us"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("page", func(b *testing.B) {
		var size int
		for b.Loop() {
			size = get().Body.Len()
		}
		b.ReportMetric(float64(size)/1024, "KiB/page")
	})
}

// BenchmarkLiveRow is the time from a request published over NATS to its
// row on its region's live stream: routing, the projection, the hub's read
// and the SSE event.
func BenchmarkLiveRow(b *testing.B) {
	e := newEnv(b)
	c := e.client()
	ch := c.stream("/ui/events?region=us&since=" + url.QueryEscape(e.hub.Cursor()))
	i := 0
	for b.Loop() {
		i++
		id := fmt.Sprintf("REQ-LAT%06d", i)
		brokertest.Publish(b, e.conn, handlertest.Request(id), "requested-"+id)
		timeout := time.After(30 * time.Second)
	wait:
		for {
			select {
			case ev := <-ch:
				if ev.Event == "row" && ev.Data["id"] == id {
					break wait
				}
			case <-timeout:
				b.Fatalf("no row for %s", id)
			}
		}
	}
}
