package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/acctflow/acctflow/lifecycle"
)

// item is one event of a request's timeline.
type item struct {
	Seq     uint64
	At      string
	Title   string
	Kind    string // stage, mail, reply, ops, failure, note: how it is shown
	Stage   lifecycle.Stage
	Ignored string
	Facts   []fact
	// Mail names an email the event says was sent, Reply a reply received.
	Mail  *mailRef
	Reply string
	Raw   string
}

type fact struct{ Name, Value string }

type mailRef struct{ To, MessageID string }

// eventTitles says what happened, per event type.
var eventTitles = map[string]struct{ title, kind string }{
	"account-requested":       {"Request received", "stage"},
	"account-routed":          {"Routed to its region", "stage"},
	"request-rejected":        {"Rejected", "stage"},
	"confirmation-sent":       {"Confirmation email sent", "mail"},
	"details-submitted":       {"Reply read: details complete", "reply"},
	"details-incomplete":      {"Reply read: details incomplete", "reply"},
	"reply-rejected":          {"Reply refused", "reply"},
	"reply-held":              {"Reply held: sender unproven", "reply"},
	"reply-released":          {"Held reply released", "ops"},
	"reply-discarded":         {"Held reply discarded", "ops"},
	"reminder-sent":           {"Reminder email sent", "mail"},
	"request-expired":         {"Expired unanswered", "stage"},
	"account-approved":        {"Approved", "ops"},
	"account-created":         {"Account created", "stage"},
	"account-creation-failed": {"Account creation failed", "failure"},
	"role-submitted":          {"Role ARN submitted", "note"},
	"role-validated":          {"Role validated", "stage"},
	"role-rejected":           {"Role rejected", "failure"},
	"role-unverified":         {"Role not verified (no AWS access)", "note"},
	"support-group-assigned":  {"Support plan group assigned", "ops"},
	"support-group-missing":   {"Support plan group missing", "failure"},
	"support-changed":         {"Support type changed", "note"},
	"ticket-created":          {"Support ticket opened", "note"},
	"effect-failed":           {"Effect failed", "failure"},
}

// hidden fields are shown elsewhere (the request) or by the item itself.
var hidden = map[string]bool{"request_id": true, "request": true}

func timeline(rec lifecycle.Record) []item {
	out := make([]item, 0, len(rec.History))
	for _, e := range rec.History {
		t, ok := eventTitles[e.Event]
		if !ok {
			t.title, t.kind = strings.ReplaceAll(e.Event, "-", " "), "note"
		}
		it := item{Seq: e.Seq, At: e.At, Title: t.title, Kind: t.kind, Stage: e.Stage, Ignored: e.Ignored}
		var m map[string]any
		if json.Unmarshal(e.Data, &m) == nil {
			if e.Event != "account-requested" { // the request is shown whole above
				it.Facts = facts(m, e.At)
			}
			it.Raw = pretty(e.Data)
			str := func(k string) string { s, _ := m[k].(string); return s }
			switch e.Event {
			case "confirmation-sent", "reminder-sent":
				if id := str("message_id"); id != "" {
					it.Mail = &mailRef{To: str("recipient"), MessageID: id}
				}
			case "details-submitted", "details-incomplete":
				it.Reply = str("source_message_id")
			case "reply-held", "reply-rejected":
				it.Reply = str("message_id")
				if it.Reply == "" {
					it.Reply = str("reply_id")
				}
			case "effect-failed":
				if k := str("kind"); k != "" {
					it.Title = "Failed: " + strings.ReplaceAll(str("effect"), "_", " ") + " (" + k + ")"
				} else {
					it.Title = "Failed: " + strings.ReplaceAll(str("effect"), "_", " ")
				}
			case "account-approved":
				if n, _ := m["retry"].(float64); n > 0 {
					it.Title = fmt.Sprintf("Provisioning retry %d", int(n))
				}
			}
		}
		if it.Ignored != "" {
			it.Kind = "ignored"
		}
		out = append(out, it)
	}
	return out
}

// facts flattens a payload into name: value lines, objects one level deep,
// leaving out the event's own time (the item shows it).
func facts(m map[string]any, at string) []fact {
	var out []fact
	var walk func(prefix string, v map[string]any)
	walk = func(prefix string, v map[string]any) {
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if prefix == "" && hidden[k] {
				continue
			}
			name := prefix + k
			switch x := v[k].(type) {
			case nil:
				out = append(out, fact{name, "—"})
			case map[string]any:
				if prefix == "" {
					walk(name+".", x)
				}
			case []any:
				parts := make([]string, len(x))
				for i, p := range x {
					parts[i] = fmt.Sprint(p)
				}
				out = append(out, fact{name, strings.Join(parts, ", ")})
			case string:
				if x != at || !strings.HasSuffix(k, "_at") {
					out = append(out, fact{name, x})
				}
			default:
				out = append(out, fact{name, fmt.Sprint(x)})
			}
		}
	}
	walk("", m)
	return out
}

func pretty(data []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, data, "", "  ") != nil {
		return string(data)
	}
	return b.String()
}
