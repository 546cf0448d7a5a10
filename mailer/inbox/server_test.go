package inbox

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

const (
	testUser = "inbox@acctflow.example"
	testPass = "s3cret"
)

var (
	capsRev1 = imap.CapSet{imap.CapIMAP4rev1: {}}
	capsRev2 = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
)

// testServer is a real IMAP server (imapserver + in-memory backend) on a
// random loopback port. The backend outlives stop/restart, as a mail store
// outlives its IMAP daemon.
type testServer struct {
	t         testing.TB
	backend   *imapmemserver.Server
	user      *imapmemserver.User
	caps      imap.CapSet
	tls       *tls.Config // STARTTLS offered when set
	clientTLS *tls.Config // what the test's own clients trust
	implicit  bool        // the listener speaks TLS from the first byte
	addr      string

	mu   sync.Mutex
	srv  *imapserver.Server
	done chan struct{}
}

func startServer(t testing.TB, caps imap.CapSet) *testServer {
	return startServerTLS(t, caps, nil, nil, false)
}

func startServerTLS(t testing.TB, caps imap.CapSet, server, client *tls.Config, implicit bool) *testServer {
	t.Helper()
	ts := &testServer{t: t, backend: imapmemserver.New(), caps: caps, tls: server, clientTLS: client, implicit: implicit}
	ts.user = imapmemserver.NewUser(testUser, testPass)
	if err := ts.user.Create("INBOX", nil); err != nil {
		t.Fatalf("creating INBOX: %v", err)
	}
	ts.backend.AddUser(ts.user)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening: %v", err)
	}
	ts.addr = ln.Addr().String()
	ts.serve(ln)
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) serve(ln net.Listener) {
	if ts.implicit {
		ln = tls.NewListener(ln, ts.tls)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return idleFlushSession{ts.backend.NewSession().(imapserver.SessionIMAP4rev2)}, nil, nil
		},
		Caps:         ts.caps,
		TLSConfig:    ts.tls,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	ts.mu.Lock()
	ts.srv, ts.done = srv, done
	ts.mu.Unlock()
}

// idleFlushSession works around imapmemserver's IDLE, which wakes only for
// updates queued after IDLE began: mail appended between a client's last
// command and its IDLE would be announced only with the next update. Real
// servers report it at once; this one now does too, by also flushing the
// queue every few milliseconds while idling.
type idleFlushSession struct{ imapserver.SessionIMAP4rev2 }

func (s idleFlushSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	done := make(chan error, 1)
	go func() { done <- s.SessionIMAP4rev2.Idle(w, stop) }() // ends when stop closes
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-t.C:
			if err := s.Poll(w, true); err != nil {
				return err
			}
		}
	}
}

// stop closes the listener and every connection, as a crashing server would.
func (ts *testServer) stop() {
	ts.mu.Lock()
	srv, done := ts.srv, ts.done
	ts.srv, ts.done = nil, nil
	ts.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
		<-done
	}
}

// restart stops the server and serves the same backend on the same port.
func (ts *testServer) restart() {
	ts.t.Helper()
	ts.stop()
	var ln net.Listener
	checkFor(ts.t, 5*time.Second, 20*time.Millisecond, func() (err error) {
		ln, err = net.Listen("tcp", ts.addr)
		return err
	})
	ts.serve(ln)
}

// client logs in over a fresh connection; tests use it the way a mail
// delivery agent or a person with a mail client would.
func (ts *testServer) client() *imapclient.Client {
	ts.t.Helper()
	var (
		c   *imapclient.Client
		err error
	)
	opts := &imapclient.Options{TLSConfig: ts.clientTLS}
	if ts.implicit {
		c, err = imapclient.DialTLS(ts.addr, opts)
	} else {
		c, err = imapclient.DialInsecure(ts.addr, opts)
	}
	if err != nil {
		ts.t.Fatalf("dialing test server: %v", err)
	}
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		ts.t.Fatalf("logging in: %v", err)
	}
	ts.t.Cleanup(func() { c.Close() })
	return c
}

func appendMsg(t testing.TB, c *imapclient.Client, folder string, raw []byte, flags ...imap.Flag) imap.UID {
	t.Helper()
	uid, err := appendRaw(c, folder, raw, flags...)
	if err != nil {
		t.Fatal(err)
	}
	return uid
}

// appendRaw is appendMsg for goroutines other than the test's.
func appendRaw(c *imapclient.Client, folder string, raw []byte, flags ...imap.Flag) (imap.UID, error) {
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags})
	_, werr := cmd.Write(raw)
	cerr := cmd.Close()
	data, err := cmd.Wait()
	if err = errors.Join(werr, cerr, err); err != nil {
		return 0, fmt.Errorf("appending to %s: %w", folder, err)
	}
	return data.UID, nil
}

// flagsOf returns the flags of every message in folder by UID.
func flagsOf(t testing.TB, c *imapclient.Client, folder string) map[imap.UID][]imap.Flag {
	t.Helper()
	flags, err := flagsOfErr(c, folder)
	if err != nil {
		t.Fatal(err)
	}
	return flags
}

// flagsOfErr is flagsOf for goroutines other than the test's.
func flagsOfErr(c *imapclient.Client, folder string) (map[imap.UID][]imap.Flag, error) {
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, fmt.Errorf("examining %s: %w", folder, err)
	}
	bufs, err := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetching flags in %s: %w", folder, err)
	}
	out := make(map[imap.UID][]imap.Flag, len(bufs))
	for _, b := range bufs {
		out[b.UID] = b.Flags
	}
	return out, nil
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, g := range flags {
		if strings.EqualFold(string(g), string(f)) {
			return true
		}
	}
	return false
}

func testMsg(n int, body string) []byte {
	return fmt.Appendf(nil, "From: Jane Doe <jane@northwind.example>\r\n"+
		"To: inbox+REQ-%04d@acctflow.example\r\n"+
		"Subject: Re: Customer Account Provision Request Received [REQ-%04d]\r\n"+
		"Message-ID: <reply-%d@northwind.example>\r\n"+
		"\r\n%s\r\n", n, n, n, body)
}
