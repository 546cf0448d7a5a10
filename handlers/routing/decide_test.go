package routing

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/acctflow/acctflow/events"
)

func request(country string) events.AccountRequested {
	return events.AccountRequested{
		RequestID: "REQ-1", RequestedAt: "2026-11-25T18:00:00Z", Provider: "aws",
		Reseller: events.Reseller{ID: "R-1", Name: "Northwind IT", Country: country,
			PrimaryContact: events.Party{Name: "Jane", Email: "jane@northwind.example"}},
		Customer:  events.Customer{ID: "C-1", Name: "Acme"},
		Pricebook: events.Pricebook{Present: true, InvoiceCurrency: "USD", ProviderEnabledInPortal: true},
	}
}

func TestDecide(t *testing.T) {
	table, err := LoadTable("")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	routes := []struct{ country, region, channel string }{
		{"US", "us", events.ReplyWorkflow},
		{"PR", "us", events.ReplyWorkflow},
		{"CA", "ca", events.ReplyWorkflow},
		{"DE", "emea", events.ReplySupportMailbox},
		{"AE", "emea", events.ReplySupportMailbox},
		{"ZA", "emea", events.ReplySupportMailbox},
		{"JP", "apac", events.ReplySupportMailbox},
		{"AU", "apac", events.ReplySupportMailbox},
		{"BR", "latam", events.ReplySupportMailbox},
		{"MX", "latam", events.ReplySupportMailbox},
	}
	for _, c := range routes {
		routed, rejected := Decide(request(c.country), table, now)
		if rejected != nil || routed == nil {
			t.Errorf("%s: rejected %v", c.country, rejected)
			continue
		}
		if routed.Region != c.region || routed.ReplyChannel != c.channel || routed.Subject() != "acct.routed."+c.region {
			t.Errorf("%s: routed to %s/%s", c.country, routed.Region, routed.ReplyChannel)
		}
		if (c.channel == events.ReplySupportMailbox) != (routed.SupportMailbox != "") {
			t.Errorf("%s: support mailbox %q", c.country, routed.SupportMailbox)
		}
		if _, err := events.Marshal(*routed); err != nil {
			t.Errorf("%s: routed event invalid: %v", c.country, err)
		}
	}

	rejects := []struct {
		name string
		edit func(*events.AccountRequested)
		want []string
	}{
		{"no pricebook", func(r *events.AccountRequested) { r.Pricebook.Present = false }, []string{events.ReasonPricebookMissing}},
		{"no currency", func(r *events.AccountRequested) { r.Pricebook.InvoiceCurrency = "" }, []string{events.ReasonInvoiceCurrencyMissing}},
		{"provider off", func(r *events.AccountRequested) { r.Pricebook.ProviderEnabledInPortal = false }, []string{events.ReasonProviderNotEnabled}},
		{"all three", func(r *events.AccountRequested) {
			r.Pricebook = events.Pricebook{}
		}, []string{events.ReasonPricebookMissing, events.ReasonInvoiceCurrencyMissing, events.ReasonProviderNotEnabled}},
		{"ri optimisation ignored", func(r *events.AccountRequested) { f := false; r.Pricebook.PassRIOptimization = &f }, nil},
	}
	for _, c := range rejects {
		req := request("US")
		c.edit(&req)
		routed, rejected := Decide(req, table, now)
		if c.want == nil {
			if routed == nil {
				t.Errorf("%s: rejected %v", c.name, rejected.Reasons)
			}
			continue
		}
		if rejected == nil || !slices.Equal(rejected.Reasons, c.want) {
			t.Errorf("%s: got %+v %+v", c.name, routed, rejected)
			continue
		}
		if _, err := events.Marshal(*rejected); err != nil {
			t.Errorf("%s: rejected event invalid: %v", c.name, err)
		}
	}
}

func TestUnknownCountryWithOverriddenTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "regions.json")
	if err := os.WriteFile(path, []byte(`{"regions":{"us":{"ops_team":"US ops","support_mailbox":"us@x.example","reply_channel":"workflow_reply","countries":["US"]},
	  "nordics":{"ops_team":"Nordic ops","support_mailbox":"nordics@x.example","countries":["SE","NO"]}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	table, err := LoadTable(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rejected := Decide(request("DE"), table, time.Now())
	if rejected == nil || !slices.Equal(rejected.Reasons, []string{events.ReasonUnknownCountry}) {
		t.Fatalf("DE with a table without it: %+v", rejected)
	}
	routed, _ := Decide(request("se"), table, time.Now())
	if routed == nil || routed.Region != "nordics" || routed.ReplyChannel != events.ReplySupportMailbox || routed.SupportMailbox != "nordics@x.example" {
		t.Fatalf("SE: %+v", routed)
	}
}

func TestBuiltInTableCoversEveryCountry(t *testing.T) {
	table, err := LoadTable("")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(table.byCountry); n != 249 {
		t.Fatalf("built-in table has %d countries, ISO 3166-1 has 249", n)
	}
	if got := table.Regions(); !slices.Equal(got, []string{"apac", "ca", "emea", "latam", "us"}) {
		t.Fatalf("regions %v", got)
	}
}

func TestLoadTableErrors(t *testing.T) {
	for name, body := range map[string]string{
		"bad json":    `{`,
		"no regions":  `{"regions":{}}`,
		"bad name":    `{"regions":{"E M E A":{"ops_team":"x","support_mailbox":"x@y.example"}}}`,
		"duplicate":   `{"regions":{"a":{"ops_team":"x","support_mailbox":"x@y.example","countries":["US"]},"b":{"ops_team":"x","support_mailbox":"x@y.example","countries":["US"]}}}`,
		"no ops team": `{"regions":{"a":{"support_mailbox":"x@y.example"}}}`,
		"bad channel": `{"regions":{"a":{"ops_team":"x","support_mailbox":"x@y.example","reply_channel":"pigeon"}}}`,
	} {
		path := filepath.Join(t.TempDir(), "r.json")
		_ = os.WriteFile(path, []byte(body), 0o600)
		if _, err := LoadTable(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
