package devmail

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// disk keeps mailboxes in a directory tree:
//
//	<root>/<address>/<uidvalidity>/mailbox.json  name, UIDVALIDITY, UIDNEXT, subscription
//	<root>/<address>/<uidvalidity>/<uid>.eml     the message as delivered
//	<root>/<address>/<uidvalidity>/<uid>.json    its flags and internal date
//
// A mailbox directory is named by its UIDVALIDITY, unique per user, so that
// RENAME only rewrites mailbox.json and mailbox names never reach the file
// system. Every file is written to a temporary name and renamed, so a killed
// process leaves whole files; nothing is fsynced: the sandbox must survive
// its process being killed, not the machine losing power.
type disk struct{ root string }

const (
	metaFile   = "mailbox.json"
	tmpPrefix  = ".tmp-"
	maxMetaLen = 64 << 10
)

type mailboxMeta struct {
	Name        string `json:"name"`
	UIDValidity uint32 `json:"uid_validity"`
	UIDNext     uint32 `json:"uid_next"`
	Subscribed  bool   `json:"subscribed"`
}

type messageMeta struct {
	Flags []imap.Flag `json:"flags"`
	Date  time.Time   `json:"date"`
}

func (d *disk) userDir(addr string) string { return filepath.Join(d.root, escapeName(addr)) }

func (d *disk) mailboxDir(addr string, validity uint32) string {
	return filepath.Join(d.userDir(addr), strconv.FormatUint(uint64(validity), 10))
}

func emlPath(dir string, uid imap.UID) string {
	return filepath.Join(dir, strconv.FormatUint(uint64(uid), 10)+".eml")
}

func flagsPath(dir string, uid imap.UID) string {
	return filepath.Join(dir, strconv.FormatUint(uint64(uid), 10)+".json")
}

func writeMailboxMeta(dir string, m mailboxMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", metaFile, err)
	}
	return writeAtomic(filepath.Join(dir, metaFile), b)
}

func writeMessageMeta(dir string, uid imap.UID, m messageMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding flags of message %d: %w", uid, err)
	}
	return writeAtomic(flagsPath(dir, uid), b)
}

// writeMessage stores a new message and its flags; on failure it leaves
// neither behind.
func writeMessage(dir string, uid imap.UID, raw []byte, m messageMeta) error {
	if err := writeMessageMeta(dir, uid, m); err != nil {
		return err
	}
	if err := writeAtomic(emlPath(dir, uid), raw); err != nil {
		os.Remove(flagsPath(dir, uid))
		return err
	}
	return nil
}

// linkMessage stores a copy of the message file src (COPY, MOVE) as a hard
// link: the copy costs neither memory nor disk. Where links are refused it
// copies the file, streaming. On failure it leaves neither file behind.
func linkMessage(dir string, uid imap.UID, src string, m messageMeta) error {
	if err := writeMessageMeta(dir, uid, m); err != nil {
		return err
	}
	dst := emlPath(dir, uid)
	err := os.Link(src, dst)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		err = copyFile(src, dst)
	}
	if err != nil {
		os.Remove(flagsPath(dir, uid))
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.CreateTemp(filepath.Dir(dst), tmpPrefix+"*")
	if err != nil {
		return err
	}
	_, err = io.Copy(f, in)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), dst)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func removeMessage(dir string, uid imap.UID) error {
	// The .eml goes first: a message exists on disk as long as it does.
	err := os.Remove(emlPath(dir, uid))
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err2 := os.Remove(flagsPath(dir, uid)); err2 != nil && !errors.Is(err2, fs.ErrNotExist) && err == nil {
		err = err2
	}
	if err != nil {
		return fmt.Errorf("removing message %d from %s: %w", uid, dir, err)
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// escapeName turns an address into one safe path element: bytes other than
// [a-z0-9._@-] and a leading dot become %XX. Upper-case letters are escaped
// too, so names cannot collide on case-insensitive file systems.
func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		safe := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '@' || c == '-' ||
			c == '.' && i > 0
		if safe {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func unescapeName(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("truncated escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q: %w", s, err)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}
