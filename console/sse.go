package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/acctflow/acctflow/lifecycle"
)

// heartbeat keeps proxies from closing a quiet stream.
const heartbeat = 25 * time.Second

// events is the live stream of a region page (?region=) or a request page
// (?request=): Server-Sent Events, one per change, each with its cursor as
// id so a reconnecting browser (Last-Event-ID) gets what it missed.
//
//	event: row      {"id","region","waiting","since","open","html"}: the request's line now
//	event: changed  {"id","stage"}: the request changed; read it again
//	event: resync   the page is too far behind: read it again
func (s *Server) events(w http.ResponseWriter, r *http.Request, _ session) {
	hub := s.cfg.Live
	if hub == nil {
		http.Error(w, "no live updates on this server", http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	region, request := q.Get("region"), q.Get("request")
	if (region == "") == (request == "") || region != "" && !s.regionKnown(region) {
		http.Error(w, "want region= (a known region) or request=", http.StatusBadRequest)
		return
	}
	since := q.Get("since")
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		since = last
	}
	rc := http.NewResponseController(w)
	// The stream outlives the server's write timeout, by design.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	sub, missed, resync := hub.Subscribe(region, request, since)
	defer hub.Unsubscribe(sub)
	send := func(event string, n *Notice, data any) bool {
		var buf bytes.Buffer
		if n != nil {
			fmt.Fprintf(&buf, "id: %s\n", hub.idAfter(n.N))
		}
		payload, _ := json.Marshal(data)
		fmt.Fprintf(&buf, "event: %s\ndata: %s\n\n", event, payload)
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	notify := func(n Notice) bool {
		if request != "" {
			return send("changed", &n, map[string]string{"id": n.ID, "stage": string(n.Stage)})
		}
		return send("row", &n, s.rowEvent(n))
	}
	if resync && !send("resync", nil, map[string]string{"cursor": hub.Cursor()}) {
		return
	}
	for _, n := range missed {
		if !notify(n) {
			return
		}
	}
	if _, err := fmt.Fprint(w, ": live\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-hub.Done():
			return
		case n := <-sub.C:
			if !notify(n) {
				return
			}
			if hub.Lost(sub) && !send("resync", nil, map[string]string{"cursor": hub.Cursor()}) {
				return
			}
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": beat\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// idAfter is the cursor that follows notice n.
func (h *Hub) idAfter(n uint64) string { return h.epoch + "-" + strconv.FormatUint(n+1, 10) }

type rowEvent struct {
	ID      string            `json:"id"`
	Region  string            `json:"region"`
	Waiting lifecycle.Waiting `json:"waiting,omitempty"`
	Since   string            `json:"since,omitempty"`
	Open    bool              `json:"open"`
	HTML    string            `json:"html,omitempty"`
}

func (s *Server) rowEvent(n Notice) rowEvent {
	e := rowEvent{ID: n.ID, Region: n.Region, Open: n.Open}
	if !n.Open {
		return e
	}
	e.Waiting, e.Since = n.Summary.Waiting, n.Summary.Since
	e.HTML = rowHTML(s.row(n.Summary))
	return e
}
