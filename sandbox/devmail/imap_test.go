package devmail

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const inboxAddr = "acct-replies@acctflow.localhost"

func deliver(t *testing.T, sb *Sandbox, to string, subject string) {
	t.Helper()
	if err := sb.Deliver(t.Context(), "jane@northwind.example", []string{to}, testMessage(subject)); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
}

// acctflow waits in IDLE; a delivery must wake it with EXISTS, even one
// that arrives right after the client sent IDLE, before the server's IDLE
// goroutine is waiting (several rounds, to give that race its chance).
func TestIdleSeesNewMail(t *testing.T) {
	eachStore(t, Config{}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		exists := make(chan uint32, 16)
		c := dialIMAP(t, sb, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					exists <- *d.NumMessages
				}
			},
		}})
		if err := c.Login(inboxAddr, "x").Wait(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		if !c.Caps().Has(imap.CapIdle) {
			t.Fatal("server does not advertise IDLE")
		}
		smtpc := dialSMTP(t, sb)
		const rounds = 20
		for round := 1; round <= rounds; round++ {
			idle, err := c.Idle()
			if err != nil {
				t.Fatal(err)
			}
			// Replies come in through SMTP with a plus address, as a reseller's would.
			if err := sendRaw(smtpc, "jane@northwind.example", []string{"acct-replies+REQ-1.abc@acctflow.localhost"},
				testMessage(fmt.Sprint("Re: REQ-1 ", round))); err != nil {
				t.Fatal(err)
			}
			select {
			case n := <-exists:
				if n != uint32(round) {
					t.Fatalf("round %d: EXISTS %d", round, n)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("round %d: no EXISTS while idling", round)
			}
			if err := idle.Close(); err != nil {
				t.Fatal(err)
			}
			if err := idle.Wait(); err != nil {
				t.Fatalf("IDLE ended with %v", err)
			}
		}
		if msgs := fetchAll(t, c); len(msgs) != rounds || msgs[rounds-1].UID != rounds {
			t.Fatalf("after IDLE: %d messages", len(msgs))
		}
	})
}

// The inbox reader's bookkeeping: \Seen plus a keyword, searching by it,
// and MOVE to a folder with COPYUID.
func TestFlagsKeywordSearchAndMove(t *testing.T) {
	eachStore(t, Config{}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		for i := range 3 {
			deliver(t, sb, inboxAddr, fmt.Sprintf("reply %d", i))
		}
		c, sel := loginSelect(t, sb, inboxAddr)
		if sel.UIDNext != 4 || sel.UIDValidity == 0 {
			t.Fatalf("SELECT: UIDNEXT %d UIDVALIDITY %d", sel.UIDNext, sel.UIDValidity)
		}
		if err := c.Create("Processed", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen, "$AcctflowProcessed"}}
		got, err := c.Store(imap.UIDSetNum(1), store, nil).Collect()
		if err != nil {
			t.Fatalf("UID STORE: %v", err)
		}
		if len(got) != 1 || !slices.Contains(got[0].Flags, "$AcctflowProcessed") || !slices.Contains(got[0].Flags, imap.FlagSeen) {
			t.Fatalf("STORE answered %+v", got)
		}

		sd, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{"$acctflowprocessed"}}, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if uids := sd.AllUIDs(); !slices.Equal(uids, []imap.UID{2, 3}) {
			t.Errorf("UID SEARCH UNKEYWORD: %v, want [2 3]", uids)
		}
		sd, err = c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "REPLY 2"}}}, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if uids := sd.AllUIDs(); !slices.Equal(uids, []imap.UID{3}) {
			t.Errorf("UID SEARCH HEADER Subject: %v, want [3]", uids)
		}

		md, err := c.Move(imap.UIDSetNum(1, 2), "Processed").Wait()
		if err != nil {
			t.Fatalf("UID MOVE: %v", err)
		}
		if md.UIDValidity == 0 || md.DestUIDs.String() != "1:2" || md.SourceUIDs.String() != "1:2" {
			t.Errorf("COPYUID %d %v %v", md.UIDValidity, md.SourceUIDs, md.DestUIDs)
		}
		left := fetchAll(t, c)
		if len(left) != 1 || left[0].UID != 3 {
			t.Fatalf("INBOX after MOVE: %+v", left)
		}
		if _, err := c.Select("Processed", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		moved := fetchAll(t, c)
		if len(moved) != 2 || !slices.Contains(moved[0].Flags, "$AcctflowProcessed") {
			t.Fatalf("Processed: %+v", moved)
		}
		if len(sb.Messages(inboxAddr)) != 1 {
			t.Error("Messages still lists moved mail")
		}
	})
}

func TestExamineIsReadOnly(t *testing.T) {
	eachStore(t, Config{}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		deliver(t, sb, inboxAddr, "ro")
		c := dialIMAP(t, sb, nil)
		if err := c.Login(inboxAddr, "x").Wait(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
			t.Fatal(err)
		}
		msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Flags: true,
			BodySection: []*imap.FetchItemBodySection{{}}}).Collect()
		if err != nil || len(msgs) != 1 || slices.Contains(msgs[0].Flags, imap.FlagSeen) {
			t.Fatalf("FETCH BODY[] under EXAMINE: %v %+v", err, msgs)
		}
		store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}
		if _, err := c.Store(imap.SeqSetNum(1), store, nil).Collect(); err == nil {
			t.Error("STORE under EXAMINE succeeded")
		}
	})
}

func TestFetchBodySetsSeenAndAppend(t *testing.T) {
	eachStore(t, Config{MaxMailboxMessages: 2}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		deliver(t, sb, inboxAddr, "first")
		c, _ := loginSelect(t, sb, inboxAddr)
		msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{}}}).Collect()
		if err != nil || len(msgs) != 1 || !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
			t.Fatalf("FETCH BODY[] should set \\Seen and say so: %v %+v", err, msgs)
		}

		raw := testMessage("appended")
		appendMsg := func() (*imap.AppendData, error) {
			cmd := c.Append("INBOX", int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDraft}})
			cmd.Write(raw)
			cmd.Close()
			return cmd.Wait()
		}
		ad, err := appendMsg()
		if err != nil || ad.UID != 2 {
			t.Fatalf("APPEND: %v %+v", err, ad)
		}
		if _, err := appendMsg(); err == nil || !strings.Contains(err.Error(), "full") {
			t.Errorf("APPEND past the mailbox bound: got %v, want OVERQUOTA", err)
		}
	})
}

// Raw protocol lines, as curl and hostile clients send them: items that
// imapserver dereferences without checking must not break the connection.
func TestRawStatusAndList(t *testing.T) {
	eachStore(t, Config{}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		deliver(t, sb, inboxAddr, "raw")
		conn, err := net.Dial("tcp", sb.IMAPAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(conn)
		readUntil := func(tag string) string {
			var out strings.Builder
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("reading reply to %s: %v (so far %q)", tag, err, out.String())
				}
				out.WriteString(line)
				if strings.HasPrefix(line, tag+" ") {
					return out.String()
				}
			}
		}
		readUntil("*") // greeting
		for _, step := range []struct{ cmd, want string }{
			{`a LOGIN "Acct-Replies@acctflow.localhost" "pw"`, "a OK"},
			{`b STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE APPENDLIMIT DELETED-STORAGE RECENT)`, "MESSAGES 1"},
			{`c LIST "" ""`, `* LIST (\Noselect) "/" ""`},
			{`d LIST "" "*"`, `* LIST (\Subscribed \HasNoChildren) "/" INBOX`},
			{`e SELECT inbox`, "e OK"},
			{`f UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODYSTRUCTURE ENVELOPE)`, "Subject: raw"},
			{`g FETCH 99 FLAGS`, "g OK"},
			{`h LOGOUT`, "h OK"},
		} {
			fmt.Fprintf(conn, "%s\r\n", step.cmd)
			got := readUntil(strings.Fields(step.cmd)[0])
			if !strings.Contains(got, step.want) {
				t.Errorf("%s:\n%s\nwant %q", step.cmd, got, step.want)
			}
		}
	})
}

// Close must not hang on clients that hold connections open.
func TestCloseWithOpenConnections(t *testing.T) {
	sb, err := Start(t.Context(), Config{Logger: newTestLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := imapclient.DialInsecure(sb.IMAPAddr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(inboxAddr, "x").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Idle(); err != nil {
		t.Fatal(err)
	}
	sc := dialSMTP(t, sb)
	if err := sc.Mail("x@y.example", nil); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-c.Closed():
	case <-time.After(10 * time.Second):
		t.Fatal("IMAP client still connected after Close")
	}
	if err := sb.Deliver(t.Context(), "", []string{inboxAddr}, testMessage("late")); err == nil {
		t.Error("Deliver after Close succeeded")
	}
	if err := sb.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// "UID n:*" past the last UID still names the last message (RFC 9051 §9),
// even when the newest UIDs were expunged: cursor-based readers rely on it.
func TestUIDStarIsHighestUIDInUse(t *testing.T) {
	eachStore(t, Config{}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		for i := range 4 {
			deliver(t, sb, inboxAddr, fmt.Sprint("m", i))
		}
		c, _ := loginSelect(t, sb, inboxAddr)
		del := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}
		if _, err := c.Store(imap.UIDSetNum(4), del, nil).Collect(); err != nil {
			t.Fatal(err)
		}
		if err := c.Expunge().Close(); err != nil {
			t.Fatal(err)
		}
		sd, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{{Start: 6, Stop: 0}}}}, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if got := sd.AllUIDs(); !slices.Equal(got, []imap.UID{3}) {
			t.Errorf("UID SEARCH UID 6:* = %v, want [3]", got)
		}
	})
}
