package events_test

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/schemas"
	"gopkg.in/yaml.v3"
)

const fixtures = "../examples/events/"

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(fixtures + name)
	if err != nil {
		t.Fatalf("example fixture: %v", err)
	}
	return data
}

func TestEveryEventHasSchemaAndAsyncAPIEntry(t *testing.T) {
	names, err := schemas.Names()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := schemas.File("asyncapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var api struct {
		Channels map[string]struct {
			Address string `yaml:"address"`
		} `yaml:"channels"`
		Components struct {
			Messages map[string]struct {
				Payload struct {
					Schema struct {
						Ref string `yaml:"$ref"`
					} `yaml:"schema"`
				} `yaml:"payload"`
			} `yaml:"messages"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(doc, &api); err != nil {
		t.Fatalf("asyncapi.yaml: %v", err)
	}
	addresses := map[string]bool{}
	for _, c := range api.Channels {
		addresses[c.Address] = true
	}
	refs := map[string]bool{}
	for _, m := range api.Components.Messages {
		refs[strings.TrimSuffix(strings.TrimPrefix(m.Payload.Schema.Ref, "./"), ".json")] = true
	}
	for kind, subject := range events.Kinds {
		if !addresses[subject] {
			t.Errorf("event %s: no AsyncAPI channel with address %s", kind, subject)
		}
		if !refs[kind] {
			t.Errorf("event %s: no AsyncAPI message referencing %s.json", kind, kind)
		}
		if err := schemas.Validate(kind, []byte(`{}`)); err == nil {
			t.Errorf("event %s: schema accepts an empty object", kind)
		}
	}
	if len(names) != len(events.Kinds) {
		t.Errorf("%d schemas but %d event kinds", len(names), len(events.Kinds))
	}
}

func TestParseAccountRequestedFixtures(t *testing.T) {
	now := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	for _, name := range []string{"account-requested-us.json", "account-requested-ca.json", "account-requested-de.json", "account-requested-provider-disabled.json"} {
		e, err := events.ParseAccountRequested(fixture(t, name), events.NewRequestID, now)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !events.ValidRequestID(e.RequestID) || e.Provider != "aws" {
			t.Errorf("%s: parsed %+v", name, e)
		}
	}
	_, err := events.ParseAccountRequested(fixture(t, "account-requested-invalid.json"), events.NewRequestID, now)
	var ve *schemas.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("invalid fixture: want ValidationError, got %v", err)
	}
	fields := map[string]bool{}
	for _, f := range ve.Fields {
		fields[f.Field] = true
	}
	for _, want := range []string{"/", "/reseller/country", "/reseller/primary_contact/email"} {
		if !fields[want] {
			t.Errorf("invalid fixture: no error for %s in %v", want, ve.Fields)
		}
	}
}

func TestSchemaRules(t *testing.T) {
	base := func() map[string]any {
		var m map[string]any
		_ = json.Unmarshal([]byte(`{"request_id":"REQ-1","requested_at":"2026-11-25T18:00:00Z","provider":"aws",
		 "reseller":{"id":"R-1","name":"N","country":"US","primary_contact":{"name":"J","email":"j@n.example"}},
		 "customer":{"id":"C-1","name":"Acme"},
		 "pricebook":{"present":true,"invoice_currency":"USD","provider_enabled_in_portal":true}}`), &m)
		return m
	}
	cases := []struct {
		name  string
		edit  func(m map[string]any)
		valid bool
	}{
		{"valid", func(map[string]any) {}, true},
		{"bad request id", func(m map[string]any) { m["request_id"] = "REQ 1/2" }, false},
		{"long request id", func(m map[string]any) { m["request_id"] = strings.Repeat("a", 65) }, false},
		{"alpha-3 country", func(m map[string]any) { m["reseller"].(map[string]any)["country"] = "USA" }, false},
		{"unassigned country", func(m map[string]any) { m["reseller"].(map[string]any)["country"] = "XX" }, false},
		{"bad currency", func(m map[string]any) { m["pricebook"].(map[string]any)["invoice_currency"] = "DOLLARS" }, false},
		{"empty currency is a prerequisite, not a schema error", func(m map[string]any) { m["pricebook"].(map[string]any)["invoice_currency"] = "" }, true},
		{"control character", func(m map[string]any) { m["customer"].(map[string]any)["name"] = "Acme\r\nBcc: x@y" }, false},
		{"too long name", func(m map[string]any) { m["customer"].(map[string]any)["name"] = strings.Repeat("n", 201) }, false},
		{"bad email", func(m map[string]any) {
			m["reseller"].(map[string]any)["primary_contact"].(map[string]any)["email"] = "jane.example"
		}, false},
		{"unknown field", func(m map[string]any) { m["surprise"] = 1 }, false},
		{"other provider", func(m map[string]any) { m["provider"] = "gcp" }, false},
	}
	for _, c := range cases {
		m := base()
		c.edit(m)
		data, _ := json.Marshal(m)
		err := schemas.Validate("account-requested", data)
		if (err == nil) != c.valid {
			t.Errorf("%s: valid=%v, err=%v", c.name, c.valid, err)
		}
	}
}

func TestSupportChangedRejectsEqualTypes(t *testing.T) {
	data := fixture(t, "support-changed.json")
	if err := schemas.Validate("support-changed", data); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	same := strings.Replace(string(data), `"developer"`, `"business"`, 1)
	if err := schemas.Validate("support-changed", []byte(same)); err == nil {
		t.Fatal("from == to accepted")
	}
}

func TestEnvelopeDefaultsForBareUpstreamMessages(t *testing.T) {
	env := events.Read("acct.routed.emea", nil, []byte(`{"a":1}`))
	if env.Type != "acct.routed.v1" || len(env.ID) != 32 {
		t.Fatalf("envelope %+v", env)
	}
	if again := events.Read("acct.routed.emea", nil, []byte(`{"a":1}`)); again.ID != env.ID {
		t.Fatal("payload-hash id is not deterministic")
	}
	h := events.Envelope{ID: "x", Type: "t", Subject: "REQ-1"}.Header()
	if h.Get("Nats-Msg-Id") != "x" || h.Get("ce-id") != "x" || h.Get("ce-specversion") != "1.0" {
		t.Fatalf("headers %v", h)
	}
}

func TestRequestIDs(t *testing.T) {
	id := events.NewRequestID()
	if !events.ValidRequestID(id) || len(id) != 14 || strings.ContainsAny(id[4:], "ILOU") {
		t.Fatalf("generated %q", id)
	}
	a, b := events.IDFromHash([]byte("x"))(), events.IDFromHash([]byte("x"))()
	if a != b || !events.ValidRequestID(a) {
		t.Fatalf("hash ids %q %q", a, b)
	}
}

// KeyOf is injective over valid ids and always yields one NATS token that a
// dot-atom accepts, the ids DESIGN §3 calls out included.
func TestKeyOf(t *testing.T) {
	token := regexp.MustCompile(`^[A-Za-z0-9=_-]+$`)
	seen := map[string]string{}
	ids := []string{"REQ..1", ".REQ2", "REQ3.", "REQ-1001", "a", ".", "..", "a.b", "a=b", "a_b", "A.B", "a-b.c_d"}
	for _, id := range ids {
		k := events.KeyOf(id)
		if !events.ValidRequestID(id) {
			continue // never encoded: ids are validated first
		}
		if !token.MatchString(k) {
			t.Errorf("KeyOf(%q) = %q: not one token", id, k)
		}
		if prev, dup := seen[k]; dup {
			t.Errorf("KeyOf(%q) = KeyOf(%q) = %q", id, prev, k)
		}
		seen[k] = id
		if back, ok := events.IDOfKey(k); !ok || back != id {
			t.Errorf("IDOfKey(%q) = %q, %v; want %q", k, back, ok, id)
		}
	}
	if a, b := events.JoinKey("confirmation", "REQ.1"), events.JoinKey("confirmation.REQ", "1"); a == b {
		t.Errorf("JoinKey collides: %q", a)
	}
}
