package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/acctflow/acctflow/api/reqid"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/schemas"
)

// doneNotice is what the page says after an action went through; the
// request moves once the pipeline has taken the event.
var doneNotice = map[string]string{
	"approve":       "Approved: account creation follows.",
	"reject":        "Rejected: the reseller is told why.",
	"account":       "Account recorded.",
	"retry":         "Provisioning retry requested.",
	"role":          "Role ARN submitted for validation.",
	"support-group": "Support plan group recorded.",
	"release":       "Held reply released: it applies as if its sender were proven.",
	"discard":       "Held reply discarded.",
}

// requestAction runs one ops operation from a request page's form.
func (s *Server) requestAction(w http.ResponseWriter, r *http.Request, ss session) {
	id, action := r.PathValue("id"), r.PathValue("action")
	ctx := r.Context()
	by := strings.TrimSpace(r.PostFormValue("by"))
	if by == "" {
		by = ss.Operator
	}
	if by == "" {
		by = "ops console"
	}
	var err error
	switch action {
	case "approve":
		_, err = s.cfg.Ops.Approve(ctx, id, by, r.PostFormValue("note"))
	case "reject":
		_, err = s.cfg.Ops.Reject(ctx, id, r.PostFormValue("reason"))
	case "account":
		_, err = s.cfg.Ops.RecordAccount(ctx, id, r.PostFormValue("account_id"))
	case "retry":
		_, err = s.cfg.Ops.RetryProvisioning(ctx, id, by)
	case "role":
		_, err = s.cfg.Ops.SubmitRole(ctx, id, r.PostFormValue("role_arn"), by)
	case "support-group":
		_, err = s.cfg.Ops.AssignSupportGroup(ctx, id, r.PostFormValue("group"))
	case "release":
		_, err = s.cfg.Ops.ReleaseReply(ctx, id, r.PostFormValue("reply_id"), by)
	case "discard":
		_, err = s.cfg.Ops.DiscardReply(ctx, id, r.PostFormValue("reply_id"), by, r.PostFormValue("reason"))
	default:
		s.problem(w, r, ss, http.StatusNotFound, "No action "+action+".")
		return
	}
	if err != nil {
		s.refused(w, r, ss, err)
		return
	}
	http.Redirect(w, r, "/ui/requests/"+url.PathEscape(id)+"?done="+url.QueryEscape(action), http.StatusSeeOther)
}

// refused shows why an operation did not go through on the request's page:
// a stage guard's words, a field that is wrong, or a correlation id.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, ss session, err error) {
	status, msg := http.StatusServiceUnavailable, ""
	var se *ops.StageError
	var he *ops.HeldError
	var rr *ops.RetryRefused
	var ve *schemas.ValidationError
	switch {
	case ops.IsNotFound(err):
		s.problem(w, r, ss, http.StatusNotFound, "No request "+r.PathValue("id")+" is known.")
		return
	case errors.As(err, &se), errors.As(err, &he), errors.As(err, &rr), errors.Is(err, ops.ErrBusy):
		status, msg = http.StatusConflict, err.Error()
	case errors.Is(err, ops.ErrInvalid):
		status, msg = http.StatusBadRequest, err.Error()
	case errors.As(err, &ve):
		parts := make([]string, len(ve.Fields))
		for i, f := range ve.Fields {
			parts[i] = f.Field + ": " + f.Message
		}
		status, msg = http.StatusBadRequest, "invalid "+ve.Schema+": "+strings.Join(parts, "; ")
	default:
		id := reqid.Of(r)
		s.cfg.Logger.Error("console action failed", "correlation_id", id, "path", r.URL.Path, "err", err)
		msg = "The action could not be carried out just now; nothing was changed. Try again. Correlation id: " + id
	}
	d, ok := s.requestData(w, r, ss)
	if !ok {
		return
	}
	d.Error = msg
	s.render(w, r, status, "request", d)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ session) {
	clearCookie(w, r)
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}
