package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/helpdesk"
	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
)

// The "done when": serve against a Freshdesk-compatible endpoint, a
// change reported twice whose first create gets 429 opens exactly one ticket.
func TestSupportChangeOpensOneFreshdeskTicket(t *testing.T) {
	desk := freshdesktest.New(t)
	desk.FailNext(1, 429, time.Second)
	t.Setenv("ACCTFLOW_FRESHDESK_API_KEY", freshdesktest.APIKey)
	inst := startServe(t, t.TempDir(), "--handlers", "tickets,projection", "--freshdesk-url", desk.URL)

	args := []string{"support", "change", "--nats-url", inst.natsURL, "--account-id", "123456789012", "--from", "developer",
		"--to", "business", "--by", "ops@distributor.example", "--reseller-id", "R-1", "--reseller-name", "Northwind IT"}
	out, err := run(t, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	if !strings.HasPrefix(id, "CHG-") {
		t.Fatalf("printed %q", out)
	}
	// Reported again with the same change id: still one ticket.
	if _, err := run(t, "", append(args, "--change-id", id)...); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(inst.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	var created events.TicketCreated
	brokertest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		m, err := lastTicketCreated(js)
		if err != nil {
			return err
		}
		return events.Unmarshal("ticket-created", m.Data, &created)
	})
	got := desk.Tickets()
	if len(got) != 1 || created.TicketID != fmt.Sprint(got[0].ID) || created.ChangeID != id ||
		!strings.Contains(got[0].Subject, "123456789012") || !strings.Contains(got[0].Description, "Business Support") ||
		desk.CountWithTag(helpdesk.ChangeTag(id)) != 1 {
		t.Fatalf("tickets %+v, event %+v", got, created)
	}
}

func TestSupportChangeWithoutHelpDeskMailsTheSandbox(t *testing.T) {
	// The email's way through the sandbox's SMTP server is what ticket-created
	// with system email proves: the outbox records it only after the server
	// accepted the mail.
	inst := startServe(t, t.TempDir(), "--handlers", "tickets", "--dev-smtp", freeAddr(t), "--dev-imap", freeAddr(t))
	out, err := run(t, "", "support", "change", "--nats-url", inst.natsURL, "--account-id", "123456789012", "--from", "basic",
		"--to", "enterprise", "--by", "ops@distributor.example", "--reseller-id", "R-1", "--reseller-name", "Northwind IT")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	nc, err := nats.Connect(inst.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	brokertest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
		m, err := lastTicketCreated(js)
		if err != nil {
			return err
		}
		var tc events.TicketCreated
		if err := events.Unmarshal("ticket-created", m.Data, &tc); err != nil || tc.ChangeID != id || tc.System != events.TicketEmail {
			return fmt.Errorf("ticket-created %+v %v", tc, err)
		}
		return nil
	})
}

func TestSupportChangeErrorsNameTheFlags(t *testing.T) {
	srv := brokertest.Server(t)
	brokertest.Connect(t, srv) // provisions the streams and buckets
	_, err := run(t, "", "support", "change", "--nats-url", srv.ClientURL(), "--account-id", "12345", "--from", "basic", "--to", "basic")
	if err == nil {
		t.Fatal("invalid change accepted")
	}
	for _, want := range []string{"--account-id:", "--to: same support type as from (basic)", "--by", "--reseller"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
}

func lastTicketCreated(js jetstream.JetStream) (*jetstream.RawStreamMsg, error) {
	s, err := js.Stream(context.Background(), events.Stream)
	if err != nil {
		return nil, err
	}
	return s.GetLastMsgForSubject(context.Background(), events.SubjectTicketCreated)
}
