package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/deploy"
	"github.com/acctflow/acctflow/events"
)

// startServer runs a NATS server configured by nats.conf, as compose.yaml
// runs it, with the topology provisioned by the admin (acctflow setup).
func startServer(t *testing.T) *server.Server {
	t.Helper()
	for k, v := range deploy.PlaceholderEnv() { // nats.conf reads each password from the environment
		t.Setenv(k, v)
	}
	s, _ := brokertest.ServerFromConfig(t, "nats.conf")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := broker.Connect(ctx, broker.ConnConfig{URL: s.ClientURL(), User: deploy.Admin, Password: deploy.PlaceholderPassword(deploy.Admin)})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := (broker.Topology{Replicas: 1}).Provision(ctx, admin.JS, deploy.Handlers); err != nil {
		t.Fatal(err)
	}
	return s
}

// user is one NATS user's connection; a permissions violation the server
// reports ends the operation under way as refused.
type user struct {
	name string
	nc   *nats.Conn
	js   jetstream.JetStream

	mu      sync.Mutex
	refused bool
	cancel  context.CancelFunc
}

func connect(t *testing.T, s *server.Server, name string) *user {
	t.Helper()
	u := &user{name: name}
	nc, err := nats.Connect(s.ClientURL(), nats.UserInfo(name, deploy.PlaceholderPassword(name)),
		// Its replies come to its own inbox, as broker.Connect's do.
		nats.CustomInboxPrefix(broker.Inbox(name)), nats.PermissionErrOnSubscribe(true),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) {
				u.mu.Lock()
				u.refused = true
				if u.cancel != nil {
					u.cancel()
				}
				u.mu.Unlock()
			}
		}))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(nc.Close)
	u.nc = nc
	if u.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	return u
}

type outcome int

const (
	succeeded outcome = iota
	refused
	failed // answered otherwise than expected, or not at all
)

func (o outcome) String() string { return [...]string{"succeeded", "refused", "failed"}[o] }

// try runs one operation: refused when the server reported a permissions
// violation, succeeded when it returned nil.
func (u *user) try(o *op) (outcome, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u.mu.Lock()
	u.refused, u.cancel = false, cancel
	u.mu.Unlock()
	err := o.do(ctx, u)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.cancel = nil
	switch {
	case u.refused:
		return refused, nil
	case err == nil:
		return succeeded, nil
	}
	return failed, err
}

// op is one operation of some users' lists (the admin may do all).
type op struct {
	name   string
	owners map[string]bool
	do     func(ctx context.Context, u *user) error
}

type ops map[string]*op

// add puts owner on the list of operation name.
func (s ops) add(owner, name string, do func(ctx context.Context, u *user) error) {
	o := s[name]
	if o == nil {
		o = &op{name: name, owners: map[string]bool{}, do: do}
		s[name] = o
	}
	if o.do == nil {
		o.do = do
	}
	if owner != "" {
		o.owners[owner] = true
	}
}

// concrete turns a subject filter into one subject it matches.
func concrete(filter string) string {
	parts := strings.Split(filter, ".")
	for i, p := range parts {
		if p == "*" || p == ">" {
			parts[i] = "probe"
		}
	}
	return strings.Join(parts, ".")
}

func publish(subject string) func(ctx context.Context, u *user) error {
	return func(ctx context.Context, u *user) error {
		_, err := u.js.Publish(ctx, subject, []byte(`{}`))
		return err
	}
}

func kvPut(bucket, key string) func(ctx context.Context, u *user) error {
	return func(ctx context.Context, u *user) error {
		if bucket == broker.ObjectMailRaw {
			obs, err := u.js.ObjectStore(ctx, bucket)
			if err != nil {
				return err
			}
			_, err = obs.PutBytes(ctx, "probe-"+u.name, []byte("x"))
			return err
		}
		kv, err := u.js.KeyValue(ctx, bucket)
		if err != nil {
			return err
		}
		_, err = kv.Put(ctx, key, []byte("1"))
		return err
	}
}

func kvGet(bucket string) func(ctx context.Context, u *user) error {
	return func(ctx context.Context, u *user) error {
		if bucket == broker.ObjectMailRaw {
			obs, err := u.js.ObjectStore(ctx, bucket)
			if err != nil {
				return err
			}
			if _, err = obs.GetInfo(ctx, "absent"); errors.Is(err, jetstream.ErrObjectNotFound) {
				err = nil
			}
			return err
		}
		kv, err := u.js.KeyValue(ctx, bucket)
		if err != nil {
			return err
		}
		if _, err = kv.Get(ctx, "absent"); errors.Is(err, jetstream.ErrKeyNotFound) {
			err = nil
		}
		return err
	}
}

func streamOf(c broker.ConsumerSpec) string {
	if c.Stream != "" {
		return c.Stream
	}
	if strings.HasPrefix(c.Subjects[0], "timer.") {
		return broker.TimerStream
	}
	return events.Stream
}

// subscribe subscribes to subject, as a user reading another's replies
// would.
func subscribe(subject string) func(ctx context.Context, u *user) error {
	return func(ctx context.Context, u *user) error {
		sub, err := u.nc.SubscribeSync(subject)
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
		// The server refuses a subscription before it answers the flush.
		if err := u.nc.FlushWithContext(ctx); err != nil {
			return err
		}
		if _, err = sub.NextMsg(time.Millisecond); errors.Is(err, nats.ErrPermissionViolation) {
			<-ctx.Done() // the error handler has seen it too: refused
			return err
		}
		return nil
	}
}

// follow reads a stream back as the console, watch and the email marks do:
// an ordered consumer, and a message by sequence.
func follow(stream, filter string) func(ctx context.Context, u *user) error {
	return func(ctx context.Context, u *user) error {
		c, err := u.js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
		if err != nil {
			return err
		}
		if _, err := c.Info(ctx); err != nil {
			return err
		}
		b, err := c.FetchNoWait(1)
		if err != nil {
			return err
		}
		for range b.Messages() {
		}
		s, err := u.js.Stream(ctx, stream)
		if err != nil {
			return err
		}
		if _, err = s.GetMsg(ctx, 1<<40); errors.Is(err, jetstream.ErrMsgNotFound) {
			err = nil
		}
		return err
	}
}

// allOps is every operation of every user's list, with its owners.
func allOps() ops {
	s := ops{}
	all := deploy.All()
	// Publishing: each subject any user may publish, by every user whose
	// declared subjects match it.
	may := map[string][]string{}
	for _, d := range all {
		may[d.Name] = append(may[d.Name], d.Outputs...)
		if d.Effect != "" {
			may[d.Name] = append(may[d.Name], events.SubjectEffectFailed)
		}
		for _, in := range d.Inputs {
			may[d.Name] = append(may[d.Name], "dlq."+in)
			if !strings.HasPrefix(in, "timer.") {
				// An input may be published by whoever replays dead letters.
				for _, r := range all {
					if r.DeadLetters {
						may[r.Name] = append(may[r.Name], in)
					}
				}
			}
		}
	}
	// The subjects tried: every subject any user may publish, and every
	// input (timers fired by hand included).
	tried := map[string][]string{}
	for _, d := range all {
		tried[d.Name] = d.Inputs
	}
	for _, filters := range []map[string][]string{may, tried} {
		for _, f := range slices.Concat(slices.Collect(maps.Values(filters))...) {
			subject := concrete(f)
			s.add("", "publish "+subject, publish(subject))
			for user, theirs := range may {
				if slices.ContainsFunc(theirs, func(g string) bool { return matches(g, subject) }) {
					s.add(user, "publish "+subject, nil)
				}
			}
		}
	}
	// Replies: each user reads its own inbox only.
	s.add("", "subscribe _INBOX.>", subscribe("_INBOX.>"))
	for _, d := range all {
		s.add(d.Name, "subscribe "+broker.Inbox(d.Name)+".>", subscribe(broker.Inbox(d.Name)+".>"))
		if d.External {
			continue // it only publishes its outputs
		}
		if len(d.Inputs) > 0 {
			key := d.Name + ".1"
			s.add(d.Name, "write "+broker.BucketDeliveryFailures+" "+key, kvPut(broker.BucketDeliveryFailures, key))
		}
		s.add(d.Name, "read "+broker.BucketDeliveryFailures, kvGet(broker.BucketDeliveryFailures))
		s.add(d.Name, "read "+broker.BucketRequests, kvGet(broker.BucketRequests))
		for _, b := range d.Writes {
			s.add(d.Name, "write "+b, kvPut(b, "probe"))
			s.add(d.Name, "read "+b, kvGet(b))
		}
		for _, b := range d.Reads {
			s.add(d.Name, "read "+b, kvGet(b))
		}
		for _, k := range d.Timers {
			s.add(d.Name, "schedule timer "+k, func(ctx context.Context, u *user) error {
				return broker.Timers{JS: u.js}.At(ctx, k, "probe", time.Now().Add(time.Hour), nil)
			})
			// Cancelling is a publish on the timer's own subject: only its
			// own kinds (purging TIMERS is the admin's alone).
			s.add(d.Name, "cancel timer "+k, func(ctx context.Context, u *user) error {
				return broker.Timers{JS: u.js}.Cancel(ctx, k, "probe")
			})
		}
		for _, c := range d.ConsumerSpecs() {
			stream := streamOf(c)
			s.add(d.Name, "consumer info "+stream+"/"+c.Name, func(ctx context.Context, u *user) error {
				_, err := u.js.Consumer(ctx, stream, c.Name)
				return err
			})
			s.add(d.Name, "pull "+stream+"/"+c.Name, func(ctx context.Context, u *user) error {
				cons, err := u.js.Consumer(ctx, stream, c.Name)
				if err != nil {
					return err
				}
				b, err := cons.FetchNoWait(1)
				if err != nil {
					return err
				}
				for m := range b.Messages() {
					_ = m.Nak()
				}
				return b.Error()
			})
			// The admin's: create (or change) and delete a handler's consumer.
			s.add("", "create consumer "+stream+"/"+c.Name, func(ctx context.Context, u *user) error {
				_, err := broker.Topology{}.EnsureConsumer(ctx, u.js, c)
				return err
			})
			s.add("", "delete consumer "+stream+"/"+c.Name, func(ctx context.Context, u *user) error {
				return u.js.DeleteConsumer(ctx, stream, c.Name)
			})
		}
		for _, w := range d.Waits {
			s.add(d.Name, "consumer info "+events.Stream+"/"+w, nil)
		}
		if d.ReadsEvents {
			s.add(d.Name, "follow "+events.Stream, follow(events.Stream, events.SubjectRequested))
		}
		if d.DeadLetters {
			s.add(d.Name, "follow "+events.DLQStream, follow(events.DLQStream, "dlq.>"))
			s.add(d.Name, "delete a dead letter", func(ctx context.Context, u *user) error {
				st, err := u.js.Stream(ctx, events.DLQStream)
				if err != nil {
					return err
				}
				if err = st.DeleteMsg(ctx, 1<<40); errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) {
					err = nil // answered: there is no such message
				}
				return err
			})
		}
	}
	// The admin's alone: streams and buckets.
	streams := []string{events.Stream, events.DLQStream, broker.TimerStream, broker.StreamProvisioning, "OBJ_" + broker.ObjectMailRaw}
	for _, b := range []string{broker.BucketRequests, broker.BucketRootEmails, broker.BucketMailSent, broker.BucketIMAPCursor,
		broker.BucketTickets, broker.BucketAccounts, broker.BucketOpen, broker.BucketDeliveryFailures} {
		streams = append(streams, "KV_"+b)
	}
	for _, st := range streams {
		s.add("", "delete stream "+st, func(ctx context.Context, u *user) error { return u.js.DeleteStream(ctx, st) })
		s.add("", "purge stream "+st, func(ctx context.Context, u *user) error {
			_, err := u.nc.RequestWithContext(ctx, "$JS.API.STREAM.PURGE."+st, nil)
			return err
		})
	}
	s.add("", "create KV bucket", func(ctx context.Context, u *user) error {
		_, err := u.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "intruder"})
		return err
	})
	s.add("", "create stream", func(ctx context.Context, u *user) error {
		_, err := u.js.CreateStream(ctx, jetstream.StreamConfig{Name: "INTRUDER", Subjects: []string{"intruder.>"}})
		return err
	})
	for _, o := range s { // operations added by name only share another's
		if o.do == nil && strings.HasPrefix(o.name, "consumer info ") {
			name := strings.TrimPrefix(o.name, "consumer info ")
			stream, cons, _ := strings.Cut(name, "/")
			o.do = func(ctx context.Context, u *user) error {
				_, err := u.js.Consumer(ctx, stream, cons)
				return err
			}
		}
	}
	return s
}

// TestPermissions loads deploy/nats.conf into a real server and, for every
// user, tries every operation on every user's list and the admin's:
// exactly the user's own list succeeds.
func TestPermissions(t *testing.T) {
	s := startServer(t)
	list := allOps()
	names := make([]string, 0, len(list))
	for n := range list {
		names = append(names, n)
	}
	sort.Strings(names)
	// The admin's destructive operations go last, so a wrongly allowed one
	// shows as such without spoiling the others.
	slices.SortStableFunc(names, func(a, b string) int {
		return boolInt(len(list[a].owners) == 0) - boolInt(len(list[b].owners) == 0)
	})
	var wg sync.WaitGroup
	for _, d := range deploy.All() {
		u := connect(t, s, d.Name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, n := range names {
				o := list[n]
				got, err := u.try(o)
				switch want := o.owners[u.name]; {
				case got == failed:
					t.Errorf("%s: %s: %v", u.name, n, err)
				case want && got == refused:
					t.Errorf("%s: %s was refused, but it is on its list", u.name, n)
				case !want && got == succeeded:
					t.Errorf("%s: %s succeeded, but it is not on its list", u.name, n)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d users × %d operations", len(deploy.All()), len(names))
	if _, err := nats.Connect(s.ClientURL(), nats.UserInfo(deploy.Handlers[0].Name, "wrong")); err == nil {
		t.Error("a wrong password was accepted")
	}
}

// matches reports whether subject matches the NATS subject filter.
func matches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, t := range f {
		switch {
		case t == ">":
			return len(s) > i
		case i >= len(s):
			return false
		case t != "*" && t != s[i]:
			return false
		}
	}
	return len(f) == len(s)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRepliesArePrivate: what api reads (a request's record, as `request
// show` does) comes back to api's own inbox, where the admin sees it, and
// which no other user may read: as digest, subscribing to it, or to every
// client's _INBOX.>, is refused.
func TestRepliesArePrivate(t *testing.T) {
	s := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	admin := connect(t, s, deploy.Admin)
	apiInbox := broker.Inbox(deploy.API.Name) + ".>"
	seen, err := admin.nc.SubscribeSync(apiInbox)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	record := []byte(`{"request_id":"REQ-1","contact":"jane@reseller.example"}`)
	kv, err := admin.js.KeyValue(ctx, broker.BucketRequests)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "REQ-1", record); err != nil {
		t.Fatal(err)
	}

	digest := connect(t, s, "digest")
	for _, subject := range []string{"_INBOX.>", apiInbox} {
		if got, err := digest.try(&op{do: subscribe(subject)}); got != refused {
			t.Errorf("digest subscribing to %s: %v (%v), want it refused", subject, got, err)
		}
	}

	api, err := broker.Connect(ctx, broker.ConnConfig{URL: s.ClientURL(), User: deploy.API.Name, Password: deploy.PlaceholderPassword(deploy.API.Name)})
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	requests, err := api.JS.KeyValue(ctx, broker.BucketRequests)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := requests.Get(ctx, "REQ-1"); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := seen.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("the record read by api did not come to %s: %v", apiInbox, err)
		}
		if bytes.Contains(m.Data, []byte("jane@reseller.example")) {
			break
		}
	}
}
