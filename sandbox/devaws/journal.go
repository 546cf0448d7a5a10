package devaws

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// journal keeps the creations of a sandbox in one append-only file of JSON
// lines: a header naming the sandbox's id prefix, then one line per accepted
// creation. Appending costs the same at any size, where rewriting a whole
// state file would cost more with every account. Nothing is fsynced: the
// file must survive the process being killed, not the machine losing power.
type journal struct {
	f *os.File
}

const (
	journalFile    = "creations.jsonl"
	journalVersion = 1
	maxJournalLine = 64 << 10
)

type journalHeader struct {
	Devaws int    `json:"devaws"`
	Prefix string `json:"prefix"`
}

type journalEntry struct {
	Request   CreateRequest `json:"request"`
	Requested time.Time     `json:"requested"`
	Ready     time.Time     `json:"ready"`
	State     string        `json:"state"`
	AccountID string        `json:"account_id,omitempty"`
	Reason    string        `json:"reason,omitempty"`
}

// openJournal loads dir's journal into s (creating it with s's prefix when
// there is none) and opens it for appending.
func openJournal(dir string, s *Server) (*journal, error) {
	path := filepath.Join(dir, journalFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		header, _ := json.Marshal(journalHeader{Devaws: journalVersion, Prefix: s.prefix})
		if err := os.WriteFile(path, append(header, '\n'), 0o600); err != nil {
			return nil, fmt.Errorf("creating %s: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", path, err)
	default:
		if err := s.replay(path, data); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &journal{f: f}, nil
}

// replay rebuilds the creations from the journal's lines. A torn last line
// (the process was killed while appending) is cut off; any other damage stops
// the start, since guessing would hand out account ids twice.
func (s *Server) replay(path string, data []byte) error {
	if i := bytes.LastIndexByte(data, '\n'); i+1 != len(data) {
		s.log.Warn("AWS sandbox: dropping a torn last line", "file", path)
		if err := os.Truncate(path, int64(i+1)); err != nil {
			return fmt.Errorf("repairing %s: %w", path, err)
		}
		data = data[:i+1]
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxJournalLine)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			var h journalHeader
			if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Devaws != journalVersion || h.Prefix == "" {
				return fmt.Errorf("%s is not an AWS sandbox journal (version %d); move it away to start over", path, journalVersion)
			}
			s.prefix = h.Prefix
			continue
		}
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Request.ID == "" {
			return fmt.Errorf("%s line %d is damaged; move the file away to start over: %v", path, line, err)
		}
		s.addLocked(&car{req: e.Request, requested: e.Requested, ready: e.Ready,
			finalState: e.State, accountID: e.AccountID, reason: e.Reason})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if line == 0 {
		return fmt.Errorf("%s is empty; move it away to start over", path)
	}
	return nil
}

// append writes one accepted creation. Called under the server's mu, so that
// lines are in id order. A nil journal keeps nothing.
func (j *journal) append(c *car) error {
	if j == nil {
		return nil
	}
	line, err := json.Marshal(journalEntry{Request: c.req, Requested: c.requested, Ready: c.ready,
		State: c.finalState, AccountID: c.accountID, Reason: c.reason})
	if err != nil {
		return fmt.Errorf("encoding creation %s: %w", c.req.ID, err)
	}
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("appending creation %s to %s: %w", c.req.ID, j.f.Name(), err)
	}
	return nil
}

func (j *journal) close() {
	if j != nil {
		_ = j.f.Close()
	}
}
