package inbox

import (
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// mark flags delivered messages \Seen and with our keyword, then moves them
// when configured. By now the cursor is past them: a refusal by the server is
// logged, not retried, since it cannot cause a message to be lost or taken
// twice; only a broken connection is returned.
func (s *session) mark(uids []imap.UID) error {
	if len(uids) == 0 {
		return nil
	}
	set := imap.UIDSetNum(uids...)
	if err := s.flag(set); err != nil {
		return err
	}
	if !s.move {
		return nil
	}
	err := s.moveTo(set)
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeTryCreate {
		to := s.r.cfg.MoveTo
		switch cerr := s.c.Create(to, nil).Wait(); {
		case cerr == nil:
			s.r.log.Info("created folder for processed messages", "move_to", to)
		case !refused(cerr):
			return fmt.Errorf("creating %s: %w", to, cerr)
		}
		err = s.moveTo(set)
	}
	if refused(err) {
		s.r.log.Warn("server refused to move processed messages", "uids", set.String(), "move_to", s.r.cfg.MoveTo, "err", err)
		return nil
	}
	return err
}

func (s *session) flag(set imap.UIDSet) error {
	flags := []imap.Flag{imap.FlagSeen}
	if s.keyword {
		flags = append(flags, imap.Flag(s.r.cfg.ProcessedKeyword))
	}
	err := s.store(set, flags)
	if refused(err) && s.keyword {
		// The folder does not take our keyword after all: \Seen alone.
		s.r.log.Warn("server refused the processed keyword; setting \\Seen only", "keyword", s.r.cfg.ProcessedKeyword, "err", err)
		s.keyword = false
		err = s.store(set, flags[:1])
	}
	if refused(err) {
		s.r.log.Warn("server refused to flag processed messages", "uids", set.String(), "err", err)
		return nil
	}
	return err
}

func (s *session) store(set imap.UIDSet, flags []imap.Flag) error {
	err := s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close()
	if err != nil {
		return fmt.Errorf("flagging %v in %s: %w", set, s.r.cfg.Folder, err)
	}
	return nil
}

func (s *session) moveTo(set imap.UIDSet) error {
	if _, err := s.c.Move(set, s.r.cfg.MoveTo).Wait(); err != nil {
		return fmt.Errorf("moving %v from %s to %s: %w", set, s.r.cfg.Folder, s.r.cfg.MoveTo, err)
	}
	return nil
}

// refused reports whether err is the server answering NO or BAD, as opposed
// to the connection failing.
func refused(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie)
}
