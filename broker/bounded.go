package broker

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// CallTimeout bounds one JetStream request (a publish awaiting its ack, a KV
// read or write, an object read or write, a stream or consumer lookup, its
// info, a stream message read or delete) made on a Conn's JS.
//
// Why: nats.go waits for a request's reply until its context ends, and a
// handler's context lasts as long as its attempt (minutes). When the server
// that took a request goes down before it answers (a cluster node restarting,
// a stream leader moving), the reply never comes; without this bound the
// attempt hung until its own deadline, its message kept alive by the progress
// heartbeat, and the request it carried stalled for minutes. Bounded, the
// call fails, the attempt fails like any other transient error and is
// redelivered; every handler is idempotent for that.
const CallTimeout = 15 * time.Second

// bounded is a JetStream whose request-reply calls end after a timeout even
// when the caller's context allows more. Long-lived calls (consumers,
// watches, listings, object readers) keep the caller's context.
type bounded struct {
	jetstream.JetStream
	timeout time.Duration
}

// Bound wraps js so that every publish and every KV, object-store, stream
// and consumer call made through it (and through the buckets, streams and
// consumers it opens) gives up after timeout.
func Bound(js jetstream.JetStream, timeout time.Duration) jetstream.JetStream {
	if b, ok := js.(bounded); ok {
		js = b.JetStream
	}
	return bounded{JetStream: js, timeout: timeout}
}

func call(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

func (b bounded) Publish(ctx context.Context, subject string, payload []byte, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	ctx, cancel := call(ctx, b.timeout)
	defer cancel()
	return b.JetStream.Publish(ctx, subject, payload, opts...)
}

func (b bounded) PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	ctx, cancel := call(ctx, b.timeout)
	defer cancel()
	return b.JetStream.PublishMsg(ctx, msg, opts...)
}

func (b bounded) KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error) {
	return b.kv(b.JetStream.KeyValue(ctx, bucket))
}

func (b bounded) CreateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return b.kv(b.JetStream.CreateKeyValue(ctx, cfg))
}

func (b bounded) CreateOrUpdateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return b.kv(b.JetStream.CreateOrUpdateKeyValue(ctx, cfg))
}

func (b bounded) ObjectStore(ctx context.Context, bucket string) (jetstream.ObjectStore, error) {
	return b.objects(b.JetStream.ObjectStore(ctx, bucket))
}

func (b bounded) CreateOrUpdateObjectStore(ctx context.Context, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error) {
	return b.objects(b.JetStream.CreateOrUpdateObjectStore(ctx, cfg))
}

func (b bounded) kv(kv jetstream.KeyValue, err error) (jetstream.KeyValue, error) {
	if err != nil {
		return nil, err
	}
	return boundedKV{KeyValue: kv, timeout: b.timeout}, nil
}

func (b bounded) objects(o jetstream.ObjectStore, err error) (jetstream.ObjectStore, error) {
	if err != nil {
		return nil, err
	}
	return boundedObjects{ObjectStore: o, timeout: b.timeout}, nil
}

type boundedKV struct {
	jetstream.KeyValue
	timeout time.Duration
}

func (k boundedKV) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	ctx, cancel := call(ctx, k.timeout)
	defer cancel()
	return k.KeyValue.Get(ctx, key)
}

func (k boundedKV) GetRevision(ctx context.Context, key string, revision uint64) (jetstream.KeyValueEntry, error) {
	ctx, cancel := call(ctx, k.timeout)
	defer cancel()
	return k.KeyValue.GetRevision(ctx, key, revision)
}

func (k boundedKV) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	ctx, cancel := call(ctx, k.timeout)
	defer cancel()
	return k.KeyValue.Put(ctx, key, value)
}

func (k boundedKV) PutString(ctx context.Context, key string, value string) (uint64, error) {
	ctx, cancel := call(ctx, k.timeout)
	defer cancel()
	return k.KeyValue.PutString(ctx, key, value)
}

func (k boundedKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	ctx, cancel := call(ctx, k.timeout)
	defer cancel()
	return k.KeyValue.Create(ctx, key, value, opts...)
}

func (k boundedKV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	ctx, cancel := call(ctx, k.timeout)
	defer cancel()
	return k.KeyValue.Update(ctx, key, value, revision)
}

func (k boundedKV) Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	ctx, cancel := call(ctx, k.timeout)
	defer cancel()
	return k.KeyValue.Delete(ctx, key, opts...)
}

func (k boundedKV) Purge(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	ctx, cancel := call(ctx, k.timeout)
	defer cancel()
	return k.KeyValue.Purge(ctx, key, opts...)
}

type boundedObjects struct {
	jetstream.ObjectStore
	timeout time.Duration
}

func (o boundedObjects) PutBytes(ctx context.Context, name string, data []byte) (*jetstream.ObjectInfo, error) {
	ctx, cancel := call(ctx, o.timeout)
	defer cancel()
	return o.ObjectStore.PutBytes(ctx, name, data)
}

func (o boundedObjects) GetBytes(ctx context.Context, name string, opts ...jetstream.GetObjectOpt) ([]byte, error) {
	ctx, cancel := call(ctx, o.timeout)
	defer cancel()
	return o.ObjectStore.GetBytes(ctx, name, opts...)
}

func (o boundedObjects) GetInfo(ctx context.Context, name string, opts ...jetstream.GetObjectInfoOpt) (*jetstream.ObjectInfo, error) {
	ctx, cancel := call(ctx, o.timeout)
	defer cancel()
	return o.ObjectStore.GetInfo(ctx, name, opts...)
}

func (o boundedObjects) Delete(ctx context.Context, name string) error {
	ctx, cancel := call(ctx, o.timeout)
	defer cancel()
	return o.ObjectStore.Delete(ctx, name)
}

func (b bounded) Stream(ctx context.Context, name string) (jetstream.Stream, error) {
	cctx, cancel := call(ctx, b.timeout)
	defer cancel()
	s, err := b.JetStream.Stream(cctx, name)
	if err != nil {
		return nil, err
	}
	return boundedStream{Stream: s, timeout: b.timeout}, nil
}

func (b bounded) Consumer(ctx context.Context, stream, name string) (jetstream.Consumer, error) {
	cctx, cancel := call(ctx, b.timeout)
	defer cancel()
	c, err := b.JetStream.Consumer(cctx, stream, name)
	if err != nil {
		return nil, err
	}
	return boundedConsumer{Consumer: c, timeout: b.timeout}, nil
}

type boundedStream struct {
	jetstream.Stream
	timeout time.Duration
}

func (s boundedStream) Info(ctx context.Context, opts ...jetstream.StreamInfoOpt) (*jetstream.StreamInfo, error) {
	ctx, cancel := call(ctx, s.timeout)
	defer cancel()
	return s.Stream.Info(ctx, opts...)
}

func (s boundedStream) GetMsg(ctx context.Context, seq uint64, opts ...jetstream.GetMsgOpt) (*jetstream.RawStreamMsg, error) {
	ctx, cancel := call(ctx, s.timeout)
	defer cancel()
	return s.Stream.GetMsg(ctx, seq, opts...)
}

func (s boundedStream) GetLastMsgForSubject(ctx context.Context, subject string) (*jetstream.RawStreamMsg, error) {
	ctx, cancel := call(ctx, s.timeout)
	defer cancel()
	return s.Stream.GetLastMsgForSubject(ctx, subject)
}

func (s boundedStream) DeleteMsg(ctx context.Context, seq uint64) error {
	ctx, cancel := call(ctx, s.timeout)
	defer cancel()
	return s.Stream.DeleteMsg(ctx, seq)
}

func (s boundedStream) Purge(ctx context.Context, opts ...jetstream.StreamPurgeOpt) error {
	ctx, cancel := call(ctx, s.timeout)
	defer cancel()
	return s.Stream.Purge(ctx, opts...)
}

func (s boundedStream) Consumer(ctx context.Context, name string) (jetstream.Consumer, error) {
	cctx, cancel := call(ctx, s.timeout)
	defer cancel()
	c, err := s.Stream.Consumer(cctx, name)
	if err != nil {
		return nil, err
	}
	return boundedConsumer{Consumer: c, timeout: s.timeout}, nil
}

type boundedConsumer struct {
	jetstream.Consumer
	timeout time.Duration
}

func (c boundedConsumer) Info(ctx context.Context) (*jetstream.ConsumerInfo, error) {
	ctx, cancel := call(ctx, c.timeout)
	defer cancel()
	return c.Consumer.Info(ctx)
}
