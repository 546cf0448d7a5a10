package console

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/acctflow/acctflow/lifecycle"
)

// groupLabels names what each group of a region's queue waits for.
var groupLabels = map[lifecycle.Waiting][2]string{
	lifecycle.WaitingFailure:  {"Failures", "an email, ticket, account creation or role check failed: the server's words are on the request"},
	lifecycle.WaitingHeld:     {"Held replies", "a reply that proves nothing about its sender: release or discard it"},
	lifecycle.WaitingApproval: {"Ops approval", "the details are in: approve or reject"},
	lifecycle.WaitingCreation: {"Account creation", "approved: AWS Organizations creates the account, or ops record one made by hand"},
	lifecycle.WaitingDetails:  {"Details from the reseller", "root email, account nickname and support type, by reply to the confirmation"},
	lifecycle.WaitingRole:     {"Role ARN", "the customer's IAM role, or ops checking an unverified one"},
	lifecycle.WaitingGroup:    {"Support plan group", "assign Passthrough or Business Support for billing"},
}

type group struct {
	Waiting     lifecycle.Waiting
	Label, Hint string
	Rows        []row
}

type row struct {
	lifecycle.Summary
	Age string
}

func (s *Server) row(sum lifecycle.Summary) row {
	return row{Summary: sum, Age: age(s.now(), sum.Since)}
}

func (s *Server) groups(open []lifecycle.Summary) []group {
	byWaiting := map[lifecycle.Waiting]int{}
	out := make([]group, len(lifecycle.WaitingOrder))
	for i, w := range lifecycle.WaitingOrder {
		l := groupLabels[w]
		out[i] = group{Waiting: w, Label: l[0], Hint: l[1]}
		byWaiting[w] = i
	}
	for _, sum := range open {
		i, ok := byWaiting[sum.Waiting]
		if !ok {
			continue
		}
		out[i].Rows = append(out[i].Rows, s.row(sum))
	}
	return out
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, ss session) {
	s.render(w, r, http.StatusOK, "home", pageData{Title: "Ops console", Session: ss})
}

type regionBody struct {
	Region Region
	Groups []group
	Total  int
}

// regionData reads a region's open requests. The live feed's cursor is
// taken first, so what changes while the index is read comes again.
func (s *Server) regionData(w http.ResponseWriter, r *http.Request, ss session) (pageData, bool) {
	name := r.PathValue("region")
	if !s.regionKnown(name) {
		s.problem(w, r, ss, http.StatusNotFound, "No region "+strconv.Quote(name)+".")
		return pageData{}, false
	}
	var cursor string
	if s.cfg.Live != nil {
		cursor = s.cfg.Live.Cursor()
	}
	open, err := s.cfg.Index.Open(r.Context(), name)
	if err != nil {
		s.internal(w, r, err)
		return pageData{}, false
	}
	var reg Region
	for _, x := range s.cfg.Regions {
		if x.Name == name {
			reg = x
		}
	}
	return pageData{
		Title: "Region " + name, Session: ss, Region: name, Cursor: cursor,
		Body: regionBody{Region: reg, Groups: s.groups(open), Total: len(open)},
	}, true
}

func (s *Server) regionPage(w http.ResponseWriter, r *http.Request, ss session) {
	if d, ok := s.regionData(w, r, ss); ok {
		s.render(w, r, http.StatusOK, "region", d)
	}
}

// regionGroups is the groups alone, for a page whose live feed lost track.
func (s *Server) regionGroups(w http.ResponseWriter, r *http.Request, ss session) {
	if d, ok := s.regionData(w, r, ss); ok {
		s.render(w, r, http.StatusOK, "groups", d)
	}
}

// regionCSV exports a region's open requests.
func (s *Server) regionCSV(w http.ResponseWriter, r *http.Request, ss session) {
	name := r.PathValue("region")
	if !s.regionKnown(name) {
		s.problem(w, r, ss, http.StatusNotFound, "No region "+strconv.Quote(name)+".")
		return
	}
	open, err := s.cfg.Index.Open(r.Context(), name)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="acctflow-`+name+`-open-`+s.now().UTC().Format("20060102-1504")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"request_id", "region", "waiting", "stage", "since", "age_hours", "customer", "reseller", "contact", "root_email", "reminders", "held_replies", "failure", "missing"})
	for _, x := range open {
		hours := ""
		if t, err := time.Parse(time.RFC3339, x.Since); err == nil {
			hours = strconv.FormatFloat(s.now().Sub(t).Hours(), 'f', 1, 64)
		}
		_ = cw.Write(cells(x.RequestID, x.Region, string(x.Waiting), string(x.Stage), x.Since, hours, x.Customer, x.Reseller,
			x.Contact, x.RootEmail, strconv.Itoa(x.Reminders), strconv.Itoa(x.Held), x.Failure, x.Missing))
	}
	cw.Flush()
}

// cells defuses what a spreadsheet would run as a formula: a reseller
// typed these.
func cells(v ...string) []string {
	for i, c := range v {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			v[i] = "'" + c
		}
	}
	return v
}

// age says how long ago an RFC 3339 time was, in the largest two units.
func age(now time.Time, since string) string {
	t, err := time.Parse(time.RFC3339, since)
	if err != nil {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h " + strconv.Itoa(int(d.Minutes())%60) + "m"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d " + strconv.Itoa(int(d.Hours())%24) + "h"
}
