//go:build unix

package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// driverOwner names this process's provisioning driver. A serve restarted on
// the same data dir takes the same name, so it resumes the creations it had
// in flight at once instead of waiting out the lease like a stranger would;
// the lock keeps two live processes sharing a data dir from taking one name.
// "" (the driver then picks a random name) when the dir is locked or
// unusable. release is called when serve ends.
func driverOwner(dataDir string) (owner string, release func()) {
	none := func() {}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", none
	}
	f, err := os.OpenFile(filepath.Join(dataDir, "provisioning-owner"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", none
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close() // another live process owns this dir's name
		return "", none
	}
	b, _ := io.ReadAll(io.LimitReader(f, 64))
	owner = strings.TrimSpace(string(b))
	if !strings.HasPrefix(owner, "driver-") || len(owner) != len("driver-")+12 {
		var r [6]byte
		_, _ = rand.Read(r[:])
		owner = "driver-" + hex.EncodeToString(r[:])
		if f.Truncate(0) != nil || func() error { _, err := f.WriteAt([]byte(owner+"\n"), 0); return err }() != nil || f.Sync() != nil {
			f.Close()
			return "", none
		}
	}
	return owner, func() { f.Close() } // closing drops the lock
}

// lockStore keeps a second serve off a data dir whose embedded NATS store is
// in use: nats-server does not lock its store, and a second server opening it
// "recovers" the live one's files. The lock goes with the process.
func lockStore(dataDir string) (release func(), err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dataDir, err)
	}
	name := filepath.Join(dataDir, "serve.lock")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking data dir %s: %w", dataDir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		holder := ""
		if pid := strings.TrimSpace(string(b)); pid != "" {
			holder = " (pid " + pid + ")"
		}
		return nil, fmt.Errorf("another acctflow serve%s is using the data dir %s: stop it first, or give this one its own --data-dir (or --nats-url to share its NATS)", holder, dataDir)
	}
	if f.Truncate(0) == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}
