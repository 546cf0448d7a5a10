package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
)

// waitNews returns when the folder may hold new mail: the server announced it
// during IDLE, or the poll interval passed. With IDLE the interval is only an
// upper bound, after which IDLE is restarted and the folder searched anyway.
func (s *session) waitNews(ctx context.Context) error {
	if s.useIdle {
		return s.idle(ctx)
	}
	if err := s.pause(ctx, s.r.cfg.Poll); err != nil {
		return err
	}
	// NOOP is the polling idiom: it lets the server report new messages.
	if err := s.c.Noop().Wait(); err != nil {
		return fmt.Errorf("polling %s: %w", s.r.cfg.Folder, err)
	}
	return nil
}

func (s *session) idle(ctx context.Context) error {
	cmd, err := s.c.Idle()
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) {
			// The server refused IDLE despite advertising it: poll instead.
			s.r.log.Warn("server refused IDLE; polling instead", "err", err)
			s.useIdle = false
			return nil
		}
		return fmt.Errorf("starting IDLE on %s: %w", s.r.cfg.Folder, err)
	}
	t := time.NewTimer(s.r.cfg.Poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-s.news:
	case <-t.C:
	case <-s.c.Closed():
	}
	closeErr := cmd.Close()
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := errors.Join(closeErr, waitErr); err != nil {
		return fmt.Errorf("IDLE on %s: %w", s.r.cfg.Folder, err)
	}
	return nil
}

// pause waits d while staying connected; a connection dropped meanwhile ends
// the wait early so that the reconnect can start.
func (s *session) pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.c.Closed():
		return fmt.Errorf("connection to %s closed", s.r.cfg.Addr)
	case <-t.C:
		return nil
	}
}
