package broker

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go/jetstream"
)

// Metadata keys set on every watermill message.
const (
	metaSubject    = "nats-subject"
	metaDeliveries = "nats-deliveries"
	metaStreamSeq  = "nats-stream-seq"
	metaStored     = "nats-stored"        // the server's time the message was stored, RFC 3339
	metaNakDelay   = "acctflow-nak-delay" // set by the outcome middleware before a Nack
)

// defaultAckWait is the consumer's AckWait when a handler sets none.
const defaultAckWait = 30 * time.Second

// subscriber is a watermill Subscriber bound to durable pull consumers that
// acctflow provisioned itself. Unlike watermill-nats it never creates or
// deletes consumers, and it keeps up to inFlight messages in progress at once:
// the router runs each in its own goroutine, and acks go out asynchronously.
// From receipt until the ack or nak, a heartbeat (InProgress) tells the server
// the message is being worked on, so a handler slower than AckWait is not
// handed to a second worker; the handler's context ends after timeout.
type subscriber struct {
	consumers map[string]jetstream.Consumer // topic (handler name) → consumer
	inFlight  int
	heartbeat time.Duration // InProgress interval, below AckWait
	timeout   time.Duration // one attempt's deadline
	nakDelay  func(deliveries uint64) time.Duration
	// release notes a message given back unstarted (nakked while
	// stopping), before the nak; nil: nothing noted.
	release func(m jetstream.Msg)
	logger  *slog.Logger

	mu      sync.Mutex
	stops   []func()
	stopped bool
}

func (s *subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	cons, ok := s.consumers[topic]
	if !ok {
		return nil, fmt.Errorf("no consumer provisioned for %q", topic)
	}
	out := make(chan *message.Message)
	slots := make(chan struct{}, s.inFlight)
	done := make(chan struct{})
	var (
		wg      sync.WaitGroup
		closing bool
		mu      sync.Mutex
	)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		mu.Lock()
		if closing {
			mu.Unlock()
			s.giveBack(m) // let another replica take it now
			return
		}
		wg.Add(1)
		mu.Unlock()
		defer wg.Done()

		// Keep the message alive from now on: waiting for a slot counts
		// against AckWait too.
		stopBeat := s.keepAlive(m)
		select {
		case slots <- struct{}{}:
		case <-done:
			stopBeat()
			s.giveBack(m)
			return
		}
		wm, deliveries := toWatermill(m)
		hctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		wm.SetContext(hctx)
		select {
		case out <- wm:
		case <-done:
			cancel()
			stopBeat()
			<-slots
			s.giveBack(m)
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			defer cancel()
			select {
			case <-wm.Acked():
				stopBeat()
				// Outputs are already stored; a lost ack only means a
				// redelivery that the handler's idempotency absorbs.
				_ = m.Ack()
			case <-wm.Nacked():
				stopBeat()
				delay := s.nakDelay(deliveries)
				if d, err := time.ParseDuration(wm.Metadata.Get(metaNakDelay)); err == nil && d > 0 {
					delay = d
				}
				_ = m.NakWithDelay(delay)
			}
		}()
	}, jetstream.PullMaxMessages(s.inFlight), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		s.logger.Debug("consume", "handler", topic, "err", err)
	}))
	if err != nil {
		return nil, fmt.Errorf("consuming %s: %w", topic, err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			mu.Lock()
			closing = true
			mu.Unlock()
			close(done)
			// Stop fetching. Drain, not Stop: Stop discards what was
			// fetched but not yet handed over, which the server then counts
			// as delivered until AckWait expires; drained, every such
			// message is nakked above, for another replica (or this one,
			// restarted) to take at once. In-flight messages finish below.
			cc.Drain()
			go func() {
				<-cc.Closed()
				wg.Wait()
				close(out)
			}()
		})
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		stop()
		return out, nil
	}
	s.stops = append(s.stops, stop)
	s.mu.Unlock()
	go func() {
		<-ctx.Done()
		stop()
	}()
	return out, nil
}

func (s *subscriber) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for _, stop := range s.stops {
		stop()
	}
	s.stops = nil
	return nil
}

// giveBack naks a message no handler has seen, noting first that this
// delivery was no attempt.
func (s *subscriber) giveBack(m jetstream.Msg) {
	if s.release != nil {
		s.release(m)
	}
	_ = m.Nak()
}

// keepAlive sends InProgress every heartbeat until the returned stop is
// called (before the ack or nak goes out).
func (s *subscriber) keepAlive(m jetstream.Msg) (stop func()) {
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(s.heartbeat)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				if err := m.InProgress(); err != nil {
					s.logger.Debug("progress heartbeat", "subject", m.Subject(), "err", err)
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			<-finished // no InProgress may follow the ack
		})
	}
}

func toWatermill(m jetstream.Msg) (*message.Message, uint64) {
	wm := message.NewMessage(m.Headers().Get("Nats-Msg-Id"), m.Data())
	for k, v := range m.Headers() {
		if len(v) > 0 {
			wm.Metadata.Set(k, v[0])
		}
	}
	wm.Metadata.Set(metaSubject, m.Subject())
	var deliveries uint64 = 1
	if md, err := m.Metadata(); err == nil {
		deliveries = md.NumDelivered
		wm.Metadata.Set(metaStreamSeq, strconv.FormatUint(md.Sequence.Stream, 10))
		wm.Metadata.Set(metaStored, md.Timestamp.UTC().Format(time.RFC3339Nano))
	}
	wm.Metadata.Set(metaDeliveries, strconv.FormatUint(deliveries, 10))
	return wm, deliveries
}
