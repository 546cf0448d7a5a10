package devmail

import (
	"bufio"
	"bytes"
	"errors"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"
)

// fetched is what a FETCH or STORE response needs of one message, taken
// under the mailbox lock so that the (possibly slow) writing happens
// without it.
type fetched struct {
	seq        uint32
	msg        *message
	flags      []imap.Flag
	flagsMoved bool // FETCH set \Seen: RFC 9051 §6.4.5 wants FLAGS sent
}

func (v *view) fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	markSeen := false
	for _, bs := range options.BodySection {
		markSeen = markSeen || !bs.Peek
	}
	markSeen = markSeen && !v.readOnly

	var list []fetched
	v.mb.mu.Lock()
	v.eachLocked(numSet, func(srv, seq uint32, m *message) {
		f := fetched{seq: seq, msg: m}
		if markSeen && !m.flags.has(imap.FlagSeen) {
			m.flags.add(imap.FlagSeen)
			f.flagsMoved = true
			if err := v.mb.saveFlagsLocked(m); err != nil {
				v.mb.st.log.Warn("saving \\Seen", "err", err)
			}
			v.mb.flagsChangedLocked(srv, m, v.tracker)
		}
		f.flags = m.flags.list()
		list = append(list, f)
	})
	v.mb.mu.Unlock()

	needBody := options.Envelope || options.BodyStructure != nil || len(options.BodySection) > 0 ||
		len(options.BinarySection) > 0 || len(options.BinarySectionSize) > 0
	for _, f := range list {
		var raw []byte
		if needBody {
			var err error
			if raw, err = v.mb.body(f.msg); errors.Is(err, errGone) {
				continue // expunged meanwhile: RFC 2180 §4.1.2 lets the server say nothing
			} else if err != nil {
				return err
			}
		}
		if err := writeFetch(w.CreateMessage(f.seq), f, raw, options); err != nil {
			return err
		}
	}
	return nil
}

// writeFetch writes one message's FETCH response; raw is needed only for
// the envelope, body structure and sections.
func writeFetch(w *imapserver.FetchResponseWriter, f fetched, raw []byte, options *imap.FetchOptions) error {
	w.WriteUID(f.msg.uid)
	if options.Flags || f.flagsMoved {
		w.WriteFlags(f.flags)
	}
	if options.InternalDate {
		w.WriteInternalDate(f.msg.date)
	}
	if options.RFC822Size {
		w.WriteRFC822Size(f.msg.size)
	}
	if options.Envelope {
		w.WriteEnvelope(envelope(raw))
	}
	if options.BodyStructure != nil {
		w.WriteBodyStructure(imapserver.ExtractBodyStructure(bytes.NewReader(raw)))
	}
	for _, bs := range options.BodySection {
		buf := imapserver.ExtractBodySection(bytes.NewReader(raw), bs)
		if err := writeLiteral(w.WriteBodySection(bs, int64(len(buf))), buf); err != nil {
			return err
		}
	}
	for _, bs := range options.BinarySection {
		buf := imapserver.ExtractBinarySection(bytes.NewReader(raw), bs)
		if err := writeLiteral(w.WriteBinarySection(bs, int64(len(buf))), buf); err != nil {
			return err
		}
	}
	for _, bss := range options.BinarySectionSize {
		w.WriteBinarySectionSize(bss, imapserver.ExtractBinarySectionSize(bytes.NewReader(raw), bss))
	}
	return w.Close()
}

type literalWriter interface {
	Write([]byte) (int, error)
	Close() error
}

func writeLiteral(wc literalWriter, buf []byte) error {
	_, err := wc.Write(buf)
	if cerr := wc.Close(); err == nil {
		err = cerr
	}
	return err
}

// envelope returns nil for a message without a readable header; imapserver
// then writes an empty envelope.
func envelope(raw []byte) *imap.Envelope {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil
	}
	return imapserver.ExtractEnvelope(h)
}

func (v *view) store(w *imapserver.FetchWriter, numSet imap.NumSet, sf *imap.StoreFlags) error {
	if v.readOnly {
		return errReadOnly
	}
	switch sf.Op {
	case imap.StoreFlagsSet, imap.StoreFlagsAdd, imap.StoreFlagsDel:
	default:
		return &imap.Error{Type: imap.StatusResponseTypeBad, Text: "Unknown STORE operation"}
	}
	var (
		list    []fetched
		tooMany bool
		saveErr error
	)
	v.mb.mu.Lock()
	v.eachLocked(numSet, func(srv, seq uint32, m *message) {
		next := m.flags.clone()
		if next.apply(sf.Op, sf.Flags) {
			if len(next) > maxKeywordsPerMessage {
				tooMany = true
				return
			}
			m.flags = next
			if err := v.mb.saveFlagsLocked(m); err != nil && saveErr == nil {
				saveErr = err
			}
			v.mb.flagsChangedLocked(srv, m, v.tracker)
		}
		list = append(list, fetched{seq: seq, msg: m, flags: m.flags.list()})
	})
	v.mb.mu.Unlock()

	if !sf.Silent {
		for _, f := range list {
			if err := writeFetch(w.CreateMessage(f.seq), f, nil, &imap.FetchOptions{Flags: true}); err != nil {
				return err
			}
		}
	}
	switch {
	case saveErr != nil:
		return saveErr
	case tooMany:
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeLimit,
			Text: "Too many flags on a message"}
	}
	return nil
}
