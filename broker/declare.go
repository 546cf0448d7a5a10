package broker

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/acctflow/acctflow/events"
)

// Declaration is everything one handler touches in NATS, declared once in
// its package. The wiring (Handler), the topology (ConsumerSpecs) and the
// NATS permissions of the handler's user (Permissions) all derive from it.
type Declaration struct {
	// Name is the handler's name: its --handlers entry, its durable
	// consumer, its NATS user and its compose service.
	Name string
	// Inputs are the subjects its durable consumer Name reads: ACCOUNTS
	// subjects, or timer subjects (FireSubjects) of TIMERS. None: no
	// consumer (an API process).
	Inputs []string
	// Outputs are the subjects it publishes (events; a dead-lettered
	// input's dlq.<subject> and, with Effect, acct.effect.failed are added).
	Outputs []string
	// Reads are the KV buckets and object stores it reads; Writes those it
	// writes (and reads). Every handler reads requests and writes its own
	// keys of delivery-failures.
	Reads, Writes []string
	// Timers are the kinds of timer it schedules and cancels.
	Timers []string
	// Waits are the ACCOUNTS consumers whose progress it waits for.
	Waits []string
	// ReadsEvents: it reads ACCOUNTS back (ordered consumers, messages by
	// sequence), never taking from a durable consumer.
	ReadsEvents bool
	// DeadLetters: it lists, replays and removes dead letters.
	DeadLetters bool
	// External: not an acctflow process but a system that only publishes
	// its Outputs (upstream): it reads nothing, not even what every process
	// reads (stream information, requests).
	External bool
	// Consumers are further durable consumers it pulls from besides Name
	// (provisioning's driver).
	Consumers []ConsumerSpec
	AckWait   time.Duration // of consumer Name (default 30s)
	InFlight  int           // messages in progress at once (default 64)
	// Effect and EffectKind: see Handler.
	Effect, EffectKind string
}

// DefaultInFlight is a handler's InFlight when its declaration sets none.
const DefaultInFlight = 64

// Handler is the declared handler running handle.
func (d Declaration) Handler(handle func(ctx context.Context, m Msg) error) Handler {
	return Handler{Name: d.Name, Subjects: d.Inputs, Handle: handle, AckWait: d.AckWait, InFlight: d.InFlight,
		Effect: d.Effect, EffectKind: d.EffectKind}
}

// ConsumerSpecs are the durable consumers the declaration pulls from.
func (d Declaration) ConsumerSpecs() []ConsumerSpec {
	var out []ConsumerSpec
	if len(d.Inputs) > 0 {
		inFlight := d.InFlight
		if inFlight == 0 {
			inFlight = DefaultInFlight
		}
		// The handler's own consumer: every replica gets InFlight (Run).
		out = append(out, ConsumerSpec{Name: d.Name, Subjects: d.Inputs, AckWait: d.AckWait, MaxInFlight: ConsumerInFlight(inFlight)})
	}
	out = append(out, d.Consumers...)
	for i := range out {
		if out[i].MaxInFlight == 0 {
			out[i].MaxInFlight = DefaultInFlight
		}
	}
	return out
}

// CheckDeclarations reports what is wrong with a list of declarations: a
// name missing, a consumer declared twice or reading no single stream, a
// bucket that is not provisioned.
func CheckDeclarations(decls []Declaration) error {
	seen := map[string]bool{}
	for _, d := range decls {
		if d.Name == "" {
			return fmt.Errorf("a declaration has no name")
		}
		if d.External && !reflect.DeepEqual(d, Declaration{Name: d.Name, Outputs: d.Outputs, External: true}) {
			return fmt.Errorf("%s: an external system only publishes its outputs", d.Name)
		}
		for _, c := range d.ConsumerSpecs() {
			if seen[c.Name] {
				return fmt.Errorf("%s: consumer %s declared twice", d.Name, c.Name)
			}
			seen[c.Name] = true
			if _, err := c.stream(); err != nil {
				return fmt.Errorf("%s: %w", d.Name, err)
			}
		}
		for _, b := range append(append([]string{}, d.Reads...), d.Writes...) {
			if !isBucket(b) {
				return fmt.Errorf("%s: unknown bucket %s", d.Name, b)
			}
		}
	}
	return nil
}

// stream is the stream the consumer reads: Stream when set, else by its
// subjects (streamFor).
func (c ConsumerSpec) stream() (string, error) {
	if c.Stream != "" {
		return c.Stream, nil
	}
	return streamFor(c.Subjects)
}

func isBucket(b string) bool {
	for _, k := range kvBuckets(1) {
		if k.Bucket == b {
			return true
		}
	}
	return b == ObjectMailRaw
}

// streamOf is the stream behind a KV bucket or object store.
func streamOf(bucket string) string {
	if bucket == ObjectMailRaw {
		return "OBJ_" + bucket
	}
	return "KV_" + bucket
}

// Permissions are a NATS user's publish and subscribe permissions.
type Permissions struct {
	PublishAllow, PublishDeny, SubscribeAllow []string
}

// Permissions is what the declared handler's NATS user may do, given every
// declaration (whose durable consumers no other user may touch): pull from
// and ack its own consumers, publish its outputs, read and write its
// buckets. Nothing else: no stream, consumer or bucket is created, changed
// or deleted (acctflow setup does that, as admin).
func (d Declaration) Permissions(all []Declaration) Permissions {
	// Replies (API calls', acknowledgements', consumers' messages) come to
	// the user's own inbox: no other user may read them.
	inbox := []string{Inbox(d.Name) + ".>"}
	if d.External {
		return Permissions{PublishAllow: slices.Clone(d.Outputs), SubscribeAllow: inbox}
	}
	var p perms
	// Every process watches the streams (/readyz) and reads requests.
	for _, s := range []string{events.Stream, events.DLQStream, TimerStream} {
		p.allow(api("STREAM.INFO", s))
	}
	own := map[string]bool{}
	for _, c := range d.ConsumerSpecs() {
		s, _ := c.stream()
		own[s+"."+c.Name] = true
		p.allow(api("CONSUMER.INFO", s, c.Name), api("CONSUMER.MSG.NEXT", s, c.Name), "$JS.ACK."+s+"."+c.Name+".>")
	}
	for _, in := range d.Inputs {
		p.allow(DLQSubjectPrefix + in)
	}
	p.read(BucketDeliveryFailures) // the router opens it
	if len(d.Inputs) > 0 {
		p.write(BucketDeliveryFailures, d.Name)
	}
	if d.Effect != "" {
		p.allow(events.SubjectEffectFailed)
	}
	p.allow(d.Outputs...)
	p.read(BucketRequests)
	for _, b := range d.Reads {
		p.read(b)
	}
	for _, b := range d.Writes {
		p.write(b, "")
	}
	// Scheduling and cancelling a timer are publishes on its own subject
	// (a cancellation is a roll-up marker): a user reaches only its kinds.
	for _, k := range d.Timers {
		p.allow(timerSchedPrefix+k+".>", api("STREAM.INFO", TimerStream), api("STREAM.MSG.GET", TimerStream), api("DIRECT.GET", TimerStream)+".>")
	}
	for _, c := range d.Waits {
		p.allow(api("CONSUMER.INFO", events.Stream, c))
	}
	if d.ReadsEvents {
		p.orderedConsumers(events.Stream)
		p.allow(api("STREAM.MSG.GET", events.Stream))
	}
	if d.DeadLetters {
		p.orderedConsumers(events.DLQStream)
		p.allow(api("STREAM.MSG.GET", events.DLQStream), api("STREAM.MSG.DELETE", events.DLQStream))
		// A replay republishes the dead letter on its original subject, an
		// event's (timers are not replayed).
		for _, o := range all {
			for _, in := range o.Inputs {
				if s, _ := streamFor([]string{in}); s == events.Stream {
					p.allow(in)
				}
			}
		}
	}
	// Where it may make consumers of its own (ordered ones, of new names), it
	// may still not create, change, delete or pull from a declared one.
	for _, o := range all {
		for _, c := range o.ConsumerSpecs() {
			s, _ := c.stream()
			if !p.ordered[s] {
				continue
			}
			p.deny(api("CONSUMER.CREATE", s, c.Name), api("CONSUMER.CREATE", s, c.Name)+".>", api("CONSUMER.DELETE", s, c.Name))
			if !own[s+"."+c.Name] {
				p.deny(api("CONSUMER.MSG.NEXT", s, c.Name))
				if s != events.Stream || !slices.Contains(d.Waits, c.Name) {
					p.deny(api("CONSUMER.INFO", s, c.Name))
				}
			}
		}
	}
	return Permissions{PublishAllow: p.allowed, PublishDeny: p.denied, SubscribeAllow: inbox}
}

type perms struct {
	allowed, denied []string
	seen            map[string]bool
	ordered         map[string]bool // streams it may make consumers of
}

func (p *perms) add(list *[]string, subjects ...string) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	for _, s := range subjects {
		if k := fmt.Sprintf("%p%s", list, s); !p.seen[k] {
			p.seen[k] = true
			*list = append(*list, s)
		}
	}
}

func (p *perms) allow(subjects ...string) { p.add(&p.allowed, subjects...) }
func (p *perms) deny(subjects ...string)  { p.add(&p.denied, subjects...) }

// read: look up the bucket, get entries (direct or not), watch keys.
func (p *perms) read(bucket string) {
	s := streamOf(bucket)
	p.allow(api("STREAM.INFO", s), api("STREAM.MSG.GET", s), api("DIRECT.GET", s), api("DIRECT.GET", s)+".>")
	p.orderedConsumers(s)
}

// write: read, and put, create, update or delete the keys under prefix.
func (p *perms) write(bucket, prefix string) {
	p.read(bucket)
	sub := "$KV." + bucket + "."
	if bucket == ObjectMailRaw {
		sub = "$O." + bucket + "."
	}
	if prefix != "" {
		sub += prefix + "."
	}
	p.allow(sub + ">")
}

// orderedConsumers: create, follow and delete consumers of new names on the
// stream (the deny list keeps the declared durables out of reach).
func (p *perms) orderedConsumers(stream string) {
	if p.ordered == nil {
		p.ordered = map[string]bool{}
	}
	p.ordered[stream] = true
	p.allow(api("CONSUMER.CREATE", stream), api("CONSUMER.CREATE", stream)+".>", api("CONSUMER.INFO", stream)+".*",
		api("CONSUMER.MSG.NEXT", stream)+".*", api("CONSUMER.DELETE", stream)+".*", "$JS.FC."+stream+".>")
}

func api(op string, tokens ...string) string {
	s := "$JS.API." + op
	for _, t := range tokens {
		s += "." + t
	}
	return s
}
