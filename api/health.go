package api

import (
	"net/http"

	"github.com/acctflow/acctflow/api/auth"
	"github.com/acctflow/acctflow/health"
)

// healthRoutes adds the probes. Both read state the components keep up to
// date in the background, so they answer at once even while a NATS cluster
// elects a leader or a mail server hangs.
//
//	GET /healthz  200 always while the process serves: every component's
//	              state as JSON, and the process's facts (Server.Health)
//	              (liveness; a wrong SMTP password is no reason to restart
//	              the process).
//	GET /readyz   200 when every component is ready, else 503 naming each
//	              component that is not and why.
//
// Both are open to probes without a token. When tokens are configured, a
// caller without a valid one gets each component's name and state but not
// the reason (a server's own words: addresses, hosts, account names); a
// read token shows everything.
func (s *Server) healthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
}

type healthBody struct {
	Status     string          `json:"status"` // ok, degraded (liveness); ready, not ready (readiness)
	Ready      bool            `json:"ready"`
	Error      string          `json:"error,omitempty"`
	Components []health.Status `json:"components,omitempty"`
}

func (s *Server) report(r *http.Request) health.Report {
	rep := s.check(r)
	if s.hideReasons {
		for i := range rep.Components {
			rep.Components[i].Reason = ""
		}
		return rep
	}
	if s.Tokens.Enabled() {
		if tok, ok := s.Tokens.Match(bearer(r)); !ok || !tok.Scope.Allows(auth.Read) {
			for i := range rep.Components {
				rep.Components[i].Reason = ""
			}
		}
	}
	return rep
}

func bearer(r *http.Request) string {
	secret, _ := auth.Bearer(r)
	return secret
}

func (s *Server) check(r *http.Request) health.Report {
	if s.Components != nil {
		return s.Components.Check()
	}
	// Without a registry: the Ready function alone.
	st := health.Status{Name: "nats", Kind: "nats", Ready: true, State: "ready"}
	if s.Ready != nil {
		if err := s.Ready(r.Context()); err != nil {
			st.Ready, st.State, st.Reason = false, "not ready", err.Error()
		}
	}
	return health.Report{Ready: st.Ready, Components: []health.Status{st}}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	rep := s.report(r)
	b := map[string]any{}
	for k, v := range s.Health { // facts about this process, e.g. "aws": "sandbox"
		b[k] = v
	}
	b["status"], b["ready"], b["components"] = "ok", rep.Ready, rep.Components
	if !rep.Ready {
		b["status"], b["error"] = "degraded", rep.Summary()
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rep := s.report(r)
	if !rep.Ready {
		writeJSON(w, http.StatusServiceUnavailable, healthBody{Status: "not ready", Error: rep.Summary(), Components: rep.NotReady()})
		return
	}
	writeJSON(w, http.StatusOK, healthBody{Status: "ready", Ready: true})
}
