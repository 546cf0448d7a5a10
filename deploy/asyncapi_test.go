package deploy_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/acctflow/acctflow/deploy"
	"github.com/acctflow/acctflow/events"
)

// asyncAPI is what the check reads of schemas/asyncapi.yaml.
type asyncAPI struct {
	Channels map[string]struct {
		Address string `yaml:"address"`
	} `yaml:"channels"`
	Operations map[string]struct {
		Action  string `yaml:"action"`
		Summary string `yaml:"summary"`
		Channel struct {
			Ref string `yaml:"$ref"`
		} `yaml:"channel"`
	} `yaml:"operations"`
}

// publisherNames are the words the document uses for a process that is not
// named as declared.
var publisherNames = map[string]string{"api": "ops", "reminder-timers": "reminders", "supportgroup-timers": "supportgroup"}

// TestAsyncAPI: every event subject a handler consumes or publishes is a
// channel of schemas/asyncapi.yaml and every channel is one of them, and
// each channel's operation names every process declared to publish it.
func TestAsyncAPI(t *testing.T) {
	raw, err := os.ReadFile("../schemas/asyncapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc asyncAPI
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	channelOf := map[string]string{} // subject filter → channel name
	for name, c := range doc.Channels {
		channelOf[param.ReplaceAllString(c.Address, "*")] = name
	}
	publishers := map[string][]string{} // channel → declared publishers
	used := map[string]bool{}
	for _, d := range deploy.All() {
		outs := slices.Clone(d.Outputs)
		if d.Effect != "" {
			outs = append(outs, events.SubjectEffectFailed)
		}
		for _, s := range append(outs, d.Inputs...) {
			if !strings.HasPrefix(s, "acct.") || s == "acct.>" {
				continue // timers, jobs, every event
			}
			ch, ok := channelOf[s]
			if !ok {
				t.Errorf("%s: subject %s is not a channel of schemas/asyncapi.yaml", d.Name, s)
				continue
			}
			used[ch] = true
			if slices.Contains(outs, s) {
				publishers[ch] = append(publishers[ch], d.Name)
			}
		}
	}
	for name, c := range doc.Channels {
		if !used[name] {
			t.Errorf("channel %s (%s) is neither published nor consumed by any declared process", name, c.Address)
		}
	}
	for _, op := range doc.Operations {
		ch := strings.TrimPrefix(op.Channel.Ref, "#/channels/")
		for _, p := range publishers[ch] {
			word := p
			if w, ok := publisherNames[p]; ok {
				word = w
			}
			if !strings.Contains(op.Summary, word) {
				t.Errorf("operation on %s (%s): summary %q does not name %s, which publishes it", ch, doc.Channels[ch].Address, op.Summary, word)
			}
		}
	}
}
