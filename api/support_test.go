package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
)

func TestSupportChange(t *testing.T) {
	ts, conn := server(t, "s3cret")
	url := ts.URL + "/v1/accounts/%s/support-changes"
	const party = `"reported_by":{"name":"Ops","email":"ops@distributor.example"},"reseller":{"id":"R-1","name":"Northwind IT"}`

	code, _ := do(t, "POST", fmt.Sprintf(url, "123456789012"), "", `{"from":"basic","to":"business",`+party+`}`)
	if code != 401 {
		t.Fatalf("no token: %d", code)
	}
	code, body := do(t, "POST", fmt.Sprintf(url, "123456789012"), "s3cret", `{"from":"basic","to":"business","change_id":"CHG-API1",`+party+`}`)
	if code != 202 || body["change_id"] != "CHG-API1" {
		t.Fatalf("accepted: %d %v", code, body)
	}
	for _, c := range []struct {
		name, account, body string
		want                int
		field               string
	}{
		{"bad account and type", "12345", `{"from":"basic","to":"gold",` + party + `}`, 400, "/account_id"},
		{"no change", "123456789012", `{"from":"basic","to":"basic",` + party + `}`, 400, "/to"},
		{"no reporter, no request", "123456789012", `{"from":"basic","to":"business"}`, 400, "/reported_by"},
		{"unknown field", "123456789012", `{"from":"basic","to":"business","plan":"x"}`, 400, ""},
		{"not json", "123456789012", `{`, 400, ""},
		{"unknown request", "123456789012", `{"from":"basic","to":"business","request_id":"REQ-NONE"}`, 404, ""},
	} {
		code, body := do(t, "POST", fmt.Sprintf(url, c.account), "s3cret", c.body)
		if code != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, code, body, c.want)
		}
		if c.field != "" && !strings.Contains(fmt.Sprint(body["errors"]), c.field) {
			t.Errorf("%s: errors %v lack %s", c.name, body["errors"], c.field)
		}
	}
	msgs := brokertest.Messages(t, conn, events.SubjectSupportChanged)
	if len(msgs) != 1 {
		t.Fatalf("%d changes published, want 1", len(msgs))
	}
	var ev events.SupportChanged
	if err := events.Unmarshal("support-changed", msgs[0].Data(), &ev); err != nil || ev.AccountID != "123456789012" || ev.To != "business" {
		t.Fatalf("%+v %v", ev, err)
	}
}
