// Package broker wires acctflow to NATS JetStream: the embedded server, the
// connection, the streams, buckets and consumers acctflow provisions itself,
// and the watermill router that runs handlers on durable pull consumers.
package broker

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedConfig configures the single-node server that `acctflow serve`
// starts when no --nats-url is given.
type EmbeddedConfig struct {
	Listen  string // host:port; loopback unless the operator says otherwise
	DataDir string // JetStream store lives in DataDir/jetstream
	// SyncInterval 0 means fsync on every write (the safe default); otherwise
	// the server flushes to disk at this interval and a power loss can lose
	// up to that much acknowledged data.
	SyncInterval time.Duration
	ServerName   string
	Logger       *slog.Logger
}

// StartEmbedded starts nats-server with JetStream in-process and waits until
// it accepts connections.
func StartEmbedded(cfg EmbeddedConfig) (*server.Server, error) {
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("nats listen port %q: %w", portStr, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName: cfg.ServerName,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.DataDir,
		NoSigs:     true,
		// Bounded so an oversized event is refused at publish, not stored.
		MaxPayload: 8 << 20,
	}
	if cfg.SyncInterval <= 0 {
		opts.SyncAlways = true
		opts.SyncInterval = 2 * time.Minute
	} else {
		opts.SyncInterval = cfg.SyncInterval
	}
	if opts.ServerName == "" {
		opts.ServerName = "acctflow"
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("configuring embedded nats: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// nats-server reports what stops it (a port in use, a store it cannot
	// open) as fatal; with our logger it does not exit, so the fatal is
	// passed on and start-up fails at once with the server's words.
	fatal := make(chan string, 1)
	s.SetLoggerV2(&natsLog{l: logger.With("component", "nats-server"), fatal: fatal}, false, false, false)
	go s.Start()
	deadline := time.Now().Add(30 * time.Second)
	for !s.ReadyForConnections(100 * time.Millisecond) {
		select {
		case msg := <-fatal:
			s.Shutdown()
			return nil, fmt.Errorf("embedded nats on %s: %s", cfg.Listen, msg)
		default:
		}
		if time.Now().After(deadline) {
			s.Shutdown()
			return nil, fmt.Errorf("embedded nats on %s did not become ready", cfg.Listen)
		}
	}
	return s, nil
}

// natsLog adapts nats-server's logger to slog.
type natsLog struct {
	l     *slog.Logger
	fatal chan<- string
}

func (n *natsLog) Noticef(format string, v ...any) { n.l.Debug(fmt.Sprintf(format, v...)) }
func (n *natsLog) Warnf(format string, v ...any)   { n.l.Warn(fmt.Sprintf(format, v...)) }
func (n *natsLog) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	n.l.Error(msg)
	select {
	case n.fatal <- msg:
	default:
	}
}
func (n *natsLog) Errorf(format string, v ...any) { n.l.Error(fmt.Sprintf(format, v...)) }
func (n *natsLog) Debugf(format string, v ...any) { n.l.Debug(fmt.Sprintf(format, v...)) }
func (n *natsLog) Tracef(format string, v ...any) {}
