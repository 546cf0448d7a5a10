package routing

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/acctflow/acctflow/events"
)

//go:embed regions.json
var defaultRegions []byte

// Region is one cloud-support ops team and where its resellers write.
type Region struct {
	Name           string   `json:"-"`
	OpsTeam        string   `json:"ops_team"`
	SupportMailbox string   `json:"support_mailbox"`
	ReplyChannel   string   `json:"reply_channel"`
	Countries      []string `json:"countries"`
	// OpsEmail receives the region's daily digest; empty: --ops-email.
	OpsEmail string `json:"ops_email,omitempty"`
}

// Table maps ISO 3166-1 alpha-2 countries to regions.
type Table struct {
	regions   map[string]Region
	byCountry map[string]string
}

var regionName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// LoadTable reads a region table; an empty path gives the built-in one,
// which covers every ISO country.
func LoadTable(path string) (*Table, error) {
	data := defaultRegions
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("reading regions file: %w", err)
		}
	}
	var doc struct {
		Regions map[string]Region `json:"regions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parsing regions %s: %w", path, err)
	}
	t := &Table{regions: map[string]Region{}, byCountry: map[string]string{}}
	for name, r := range doc.Regions {
		if !regionName.MatchString(name) {
			return nil, fmt.Errorf("regions %s: region name %q must match %s", path, name, regionName)
		}
		if r.OpsTeam == "" || r.SupportMailbox == "" {
			return nil, fmt.Errorf("regions %s: region %q needs ops_team and support_mailbox", path, name)
		}
		if r.ReplyChannel == "" {
			r.ReplyChannel = events.ReplySupportMailbox
		}
		if r.ReplyChannel != events.ReplyWorkflow && r.ReplyChannel != events.ReplySupportMailbox {
			return nil, fmt.Errorf("regions %s: region %q: reply_channel must be %s or %s", path, name, events.ReplyWorkflow, events.ReplySupportMailbox)
		}
		r.Name = name
		for _, c := range r.Countries {
			c = strings.ToUpper(c)
			if prev, dup := t.byCountry[c]; dup {
				return nil, fmt.Errorf("regions %s: country %s in both %s and %s", path, c, prev, name)
			}
			t.byCountry[c] = name
		}
		t.regions[name] = r
	}
	if len(t.regions) == 0 {
		return nil, fmt.Errorf("regions %s: no regions", path)
	}
	return t, nil
}

// For returns the region of a country.
func (t *Table) For(country string) (Region, bool) {
	name, ok := t.byCountry[strings.ToUpper(country)]
	if !ok {
		return Region{}, false
	}
	return t.regions[name], true
}

// Regions lists the region names, sorted.
func (t *Table) Regions() []string {
	names := make([]string, 0, len(t.regions))
	for n := range t.regions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Region returns a region by name.
func (t *Table) Region(name string) (Region, bool) {
	r, ok := t.regions[name]
	return r, ok
}
