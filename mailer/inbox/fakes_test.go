package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// memSink is the test Sink: it keeps what it is given, can be told to fail,
// and counts deliveries per (UIDVALIDITY, UID) to catch repeats.
type memSink struct {
	mu       sync.Mutex
	msgs     []Message
	count    map[[2]uint32]int
	attempts int
	fail     func(m Message, attempt int) error // optional, called with mu held
	want     int
	reached  chan struct{} // closed once len(msgs) >= want
}

func newSink() *memSink { return &memSink{count: map[[2]uint32]int{}} }

func (s *memSink) Deliver(ctx context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.fail != nil {
		if err := s.fail(m, s.attempts); err != nil {
			return err
		}
	}
	m.Raw = append([]byte(nil), m.Raw...)
	s.msgs = append(s.msgs, m)
	s.count[[2]uint32{m.UIDValidity, m.UID}]++
	if s.reached != nil && len(s.msgs) >= s.want {
		close(s.reached)
		s.reached = nil
	}
	return nil
}

// await returns a channel closed once n messages in all were delivered.
func (s *memSink) await(n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	if len(s.msgs) >= n {
		close(ch)
		return ch
	}
	s.want, s.reached = n, ch
	return ch
}

func (s *memSink) delivered() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

func (s *memSink) has(validity, uid uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[[2]uint32{validity, uid}] > 0
}

// repeats lists messages delivered more than once.
func (s *memSink) repeats() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, n := range s.count {
		if n > 1 {
			out = append(out, fmt.Sprintf("uidvalidity %d uid %d: %d times", k[0], k[1], n))
		}
	}
	return out
}

func expectCount(s *memSink, n int) func() error {
	return func() error {
		if got := len(s.delivered()); got != n {
			return fmt.Errorf("delivered %d messages, want %d", got, n)
		}
		return nil
	}
}

// memCursor is the test Cursor; check, when set, vets every Save.
type memCursor struct {
	mu    sync.Mutex
	pos   map[string][2]uint32
	saves int
	check func(key string, validity, last uint32) error
}

func newCursor() *memCursor { return &memCursor{pos: map[string][2]uint32{}} }

func (c *memCursor) Load(ctx context.Context, key string) (uint32, uint32, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pos[key]
	return p[0], p[1], ok, nil
}

func (c *memCursor) Save(ctx context.Context, key string, validity, last uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.check != nil {
		if err := c.check(key, validity, last); err != nil {
			return err
		}
	}
	c.pos[key] = [2]uint32{validity, last}
	c.saves++
	return nil
}

// only returns the single position saved (tests use one folder per cursor).
func (c *memCursor) only(t testing.TB) (validity, last uint32) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pos) != 1 {
		t.Fatalf("cursor holds %d keys, want 1: %v", len(c.pos), c.pos)
	}
	for _, p := range c.pos {
		return p[0], p[1]
	}
	return 0, 0
}

func testConfig(t testing.TB, ts *testServer) Config {
	return Config{
		Addr:     ts.addr,
		TLS:      TLSNone,
		Username: testUser,
		Password: testPass,
		Poll:     time.Hour, // only IDLE can bring news quickly, unless a test says otherwise
		Backoff:  retryFast,
		Logger:   testLogger(t),
	}
}

func testLogger(t testing.TB) *slog.Logger {
	if _, ok := t.(*testing.B); ok {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// runReader starts r.Run and stops it at cleanup, checking it returns
// promptly and only with the context's error.
func runReader(t testing.TB, cfg Config, sink Sink, cur Cursor) (*Reader, func()) {
	t.Helper()
	r, err := NewReader(cfg, sink, cur)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Run returned %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return r, stop
}

// checkFor polls f every interval until it returns nil or total passes.
func checkFor(t testing.TB, total, every time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v: %v", total, err)
		}
		time.Sleep(every)
	}
}

func ready(r *Reader) func() error {
	return func() error {
		if !r.Ready() {
			return errors.New("reader not ready")
		}
		return nil
	}
}
