package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

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
		Use:   "create --file F",
		Short: "Validate and publish an AccountRequested (- reads stdin); prints the request id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			file, _ := cmd.Flags().GetString("file")
			body, err := readInput(cmd, file)
			if err != nil {
				return err
			}
			o, conn, err := client(cmd)
			if err != nil {
				return err
			}
			defer conn.Close()
			req, err := o.CreateRequest(cmd.Context(), body)
			if err != nil {
				return describe(err, file)
			}
			fmt.Fprintln(cmd.OutOrStdout(), req.RequestID)
			return nil
		},
	}
	cmd.Flags().StringP("file", "f", "", "JSON file with the request, - for stdin")
	_ = cmd.MarkFlagRequired("file")
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
			rec, err := o.Show(cmd.Context(), args[0])
			if ops.IsNotFound(err) {
				return fmt.Errorf("request %s not found", args[0])
			}
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
	addNATSFlags(cmd, "nats://127.0.0.1:4222", "NATS server URL")
	return cmd
}

func printRecord(w io.Writer, r lifecycle.Record) {
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-16s %s\n", k+":", v)
		}
	}
	line("Request", r.RequestID)
	line("Stage", string(r.Stage))
	if q := r.Request; q != nil {
		line("Reseller", fmt.Sprintf("%s (%s, %s)", q.Reseller.Name, q.Reseller.ID, q.Reseller.Country))
		line("Contact", fmt.Sprintf("%s <%s>", q.Reseller.PrimaryContact.Name, q.Reseller.PrimaryContact.Email))
		line("Customer", fmt.Sprintf("%s (%s)", q.Customer.Name, q.Customer.ID))
	}
	line("Region", r.Region)
	line("Ops team", r.OpsTeam)
	line("Reply channel", r.ReplyChannel)
	if r.Rejection != nil {
		line("Rejected", strings.Join(r.Rejection.Reasons, ", ")+" "+r.Rejection.Detail)
	}
	if c := r.Confirmation; c != nil {
		line("Confirmation", c.MessageID+" to "+c.Recipient)
	}
	if d := r.Details; d != nil {
		line("Root email", d.RootEmail)
		line("Nickname", d.Nickname)
		line("Support type", r.SupportType())
	}
	if len(r.Problems) > 0 {
		line("Still missing", strings.Join(r.Problems, ", "))
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
		line("Support group", strings.TrimSpace(status))
	}
	for _, c := range r.SupportChanges {
		line("Support change", fmt.Sprintf("%s %s → %s at %s ticket %s", c.ChangeID, c.From, c.To, c.At, c.TicketID))
	}
	if len(r.History) > 0 {
		fmt.Fprintln(w, "History:")
		for _, h := range r.History {
			fmt.Fprintf(w, "  %-24s %s\n", h.At, h.Stage)
		}
	}
}
