package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/schemas"
)

func newRequest() *cobra.Command {
	cmd := &cobra.Command{Use: "request", Short: "Create, show and decide on account requests"}
	cmd.AddCommand(newRequestCreate(), newRequestShow())
	cmd.AddCommand(requestDecisionCommands()...)
	return cmd
}

func newRequestCreate() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create FILE | --file FILE",
		Short: "Validate and publish an AccountRequested (- reads stdin); prints the request id",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, _ := cmd.Flags().GetString("file")
			switch {
			case len(args) == 1 && file != "":
				return errors.New("give the request's file once: as an argument or with --file")
			case len(args) == 1:
				file = args[0]
			case file == "":
				return errors.New("which request? acctflow request create FILE (- reads stdin)")
			}
			body, err := readInput(cmd, file)
			if err != nil {
				return err
			}
			o, conn, err := client(cmd)
			if err != nil {
				return err
			}
			defer conn.Close()
			// A request published again changes nothing: say so, rather
			// than print its id as if it were new.
			var before lifecycle.Record
			if req, err := events.ParseAccountRequested(body, events.IDFromHash(body), time.Now()); err == nil {
				before, _ = o.Show(cmd.Context(), req.RequestID)
			}
			req, err := o.CreateRequest(cmd.Context(), body)
			if err != nil {
				return describe(err, file)
			}
			fmt.Fprintln(cmd.OutOrStdout(), req.RequestID)
			if before.RequestID != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s was requested before (now at stage %s): publishing it again changes nothing\n", req.RequestID, before.Stage)
			}
			return nil
		},
	}
	cmd.Flags().StringP("file", "f", "", "JSON file with the request, - for stdin")
	addNATSFlags(cmd, "nats://127.0.0.1:4222", "NATS server URL")
	return cmd
}

func readInput(cmd *cobra.Command, file string) ([]byte, error) {
	var r io.Reader = cmd.InOrStdin()
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return data, nil
}

// describe turns a validation error into one line naming each field.
func describe(err error, file string) error {
	var ve *schemas.ValidationError
	if errors.As(err, &ve) {
		parts := make([]string, len(ve.Fields))
		for i, f := range ve.Fields {
			parts[i] = f.Field + ": " + f.Message
		}
		return fmt.Errorf("%s is not a valid request: %s", file, strings.Join(parts, "; "))
	}
	return err
}

func newRequestShow() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show the lifecycle of one request",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, conn, err := client(cmd)
			if err != nil {
				return err
			}
			defer conn.Close()
			rec, err := showWhen(cmd, o, args[0])
			if err != nil {
				return err
			}
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rec)
			}
			printRecord(cmd.OutOrStdout(), rec)
			return nil
		},
	}
	cmd.Flags().Bool("json", false, "print the record as JSON")
	cmd.Flags().String("wait", "", "wait until the request is at this stage ("+stageList()+")")
	cmd.Flags().Duration("timeout", time.Minute, "how long --wait waits")
	addNATSFlags(cmd, "nats://127.0.0.1:4222", "NATS server URL")
	return cmd
}

func stageList() string {
	names := make([]string, len(lifecycle.Stages))
	for i, s := range lifecycle.Stages {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// showWhen reads a request's record; with --wait, once it is at that stage
// (a request not recorded yet is waited for too).
func showWhen(cmd *cobra.Command, o *ops.Ops, id string) (lifecycle.Record, error) {
	wait, _ := cmd.Flags().GetString("wait")
	if wait != "" && !slices.Contains(lifecycle.Stages, lifecycle.Stage(wait)) {
		return lifecycle.Record{}, fmt.Errorf("--wait %q: not a stage; one of %s", wait, stageList())
	}
	timeout, _ := cmd.Flags().GetDuration("timeout")
	deadline := time.Now().Add(timeout)
	for {
		rec, err := o.Show(cmd.Context(), id)
		switch {
		case err != nil && !ops.IsNotFound(err):
			return rec, err
		case wait == "" && err != nil:
			return rec, fmt.Errorf("request %s not found", id)
		case wait == "" || err == nil && rec.Stage == lifecycle.Stage(wait):
			return rec, nil
		case time.Now().After(deadline) && err != nil:
			return rec, fmt.Errorf("request %s not found after %s", id, timeout)
		case time.Now().After(deadline):
			return rec, fmt.Errorf("request %s is at stage %s after %s, not %s", id, rec.Stage, timeout, wait)
		}
		select {
		case <-cmd.Context().Done():
			return rec, cmd.Context().Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func printRecord(w io.Writer, r lifecycle.Record) {
	line := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			fmt.Fprintf(w, "%-16s %s\n", k+":", v)
		}
	}
	line("Request", r.RequestID)
	line("Stage", string(r.Stage)+since(r.StageAt))
	if q := r.Request; q != nil {
		line("Reseller", fmt.Sprintf("%s (%s, %s)", q.Reseller.Name, q.Reseller.ID, q.Reseller.Country))
		line("Contact", fmt.Sprintf("%s <%s>", q.Reseller.PrimaryContact.Name, q.Reseller.PrimaryContact.Email))
		line("Customer", fmt.Sprintf("%s (%s)", q.Customer.Name, q.Customer.ID))
	}
	line("Region", r.Region)
	line("Ops team", r.OpsTeam)
	line("Reply channel", strings.TrimSpace(r.ReplyChannel+" "+r.SupportMailbox))
	if r.Rejection != nil && r.Stage == lifecycle.StageRejected {
		line("Rejected", strings.Join(r.Rejection.Reasons, ", ")+" "+r.Rejection.Detail)
	}
	if e := r.Expiry; e != nil {
		line("Expired", e.ExpiredAt+" (waiting since "+e.WaitingSince+")")
	}
	for _, c := range r.Conflicts {
		who := ""
		if c.Request != nil {
			who = " from " + c.Request.Reseller.Name + " <" + c.Request.Reseller.PrimaryContact.Email + ">"
		}
		line("Id conflict", c.At+": a different request under this id was refused"+who)
	}
	if c := r.Confirmation; c != nil {
		line("Confirmation", c.MessageID+" to "+c.Recipient+since(c.SentAt))
	}
	for _, m := range r.Reminders {
		line("Reminder", fmt.Sprintf("#%d at %s", m.Number, m.SentAt))
	}
	switch d := r.Details; {
	case d != nil:
		line("Root email", d.RootEmail)
		line("Nickname", d.Nickname)
		if d.AWSAccountName != "" && d.AWSAccountName != d.Nickname {
			line("AWS name", d.AWSAccountName)
		}
		line("Support type", r.SupportType())
	case r.Known != lifecycle.Known{}:
		line("Known so far", strings.Join(nonEmpty("root email "+r.Known.RootEmail, "nickname "+r.Known.Nickname, "support "+r.Known.SupportType), "; "))
	}
	if len(r.Problems) > 0 && r.Details == nil {
		line("Still missing", strings.Join(r.Problems, ", "))
	}
	for _, h := range r.Held {
		what := strings.Join(nonEmpty("root email "+deref(h.RootEmail), "nickname "+deref(h.Nickname), "support "+deref(h.SupportType), "role "+h.RoleARN), "; ")
		state := h.Status
		if h.Status != lifecycle.HeldWaiting {
			state += " by " + h.By + " at " + h.At
		} else {
			state += ": `acctflow reply release " + r.RequestID + " --reply " + h.ReplyID[:16] + "` or `reply discard`"
		}
		line("Held reply", fmt.Sprintf("%s from %s (matched by %s, unverified) at %s: %s — %s", h.ReplyID[:16], h.From, h.MatchedBy, h.HeldAt, what, state))
	}
	if a := r.Account; a != nil {
		line("Account", a.AccountID+" "+a.AccountName+" ("+a.Method+")")
	}
	if f := r.Failure; f != nil {
		line("Creation failed", f.FailureReason+": "+f.Explanation)
	}
	if ro := r.Role; ro != nil {
		line("Role", ro.ARN+" "+ro.Status+" "+ro.Explanation)
	}
	if g := r.SupportGroup; g != nil {
		status := g.Group
		if g.Missing {
			status += fmt.Sprintf(" MISSING (expected %s)", g.Expected)
		}
		line("Support group", status)
	}
	for _, c := range r.SupportChanges {
		line("Support change", fmt.Sprintf("%s %s → %s at %s ticket %s", c.ChangeID, c.From, c.To, c.At, c.TicketID))
	}
	for _, f := range r.Failures {
		what := f.Effect
		if f.Kind != "" {
			what += " (" + f.Kind + ")"
		}
		fix := "fix the cause, then `acctflow dlq replay " + fmt.Sprint(f.DLQSeq) + "`"
		if f.Outcome == "blocked" {
			fix = "waits until the " + f.Handler + " adapter works again"
		}
		line("FAILED", fmt.Sprintf("%s at %s: %s — %s", what, f.At, f.Error, fix))
	}
	if len(r.History) > 0 {
		fmt.Fprintln(w, "History:")
		for _, h := range r.History {
			switch {
			case h.Stage != "":
				fmt.Fprintf(w, "  %-24s %-24s → %s\n", h.At, h.Event, h.Stage)
			case h.Ignored != "":
				fmt.Fprintf(w, "  %-24s %-24s ignored: %s\n", h.At, h.Event, h.Ignored)
			case h.Event == "reply-rejected":
				// Why a reply changed nothing: the reseller may ask.
				var why struct{ Reason, Detail string }
				_ = json.Unmarshal(h.Data, &why)
				fmt.Fprintf(w, "  %-24s %-24s %s\n", h.At, h.Event, strings.TrimSpace(why.Reason+" "+why.Detail))
			default:
				fmt.Fprintf(w, "  %-24s %s\n", h.At, h.Event)
			}
		}
	}
}

func since(at string) string {
	if at == "" {
		return ""
	}
	return " (since " + at + ")"
}

// nonEmpty keeps the "label value" parts whose value is set.
func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if i := strings.LastIndexByte(p, ' '); i >= 0 && i < len(p)-1 {
			out = append(out, p)
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
