package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/ops"
)

// dlqCommands: `acctflow dlq list|show|replay`.
func dlqCommands() []*cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Dead letters: list them, look at one, replay them once the cause is fixed",
		Long: `Dead letters are events a handler gave up on (stream ACCOUNTS_DLQ, subject dlq.<original subject>).

A replay publishes the event again, unchanged, for the handler that gave up on it, and removes the dead
letter. The event keeps its ids, so its effects stay exactly once: a confirmation whose email never left is
sent once, one that did leave is not sent again.`,
	}
	list := &cobra.Command{
		Use:   "list [--subject S]",
		Short: "List dead letters, oldest first (S: the original subject, wildcards allowed, e.g. acct.routed.*)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDLQ(cmd, func(ctx context.Context, d *ops.DLQ) error {
				subject, _ := cmd.Flags().GetString("subject")
				list, err := d.List(ctx, subject)
				if err != nil {
					return err
				}
				if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
					return printJSON(cmd.OutOrStdout(), list)
				}
				if len(list) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "no dead letters")
					return nil
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SEQ\tDEAD-LETTERED\tSUBJECT\tHANDLER\tREQUEST\tERROR")
				for _, dl := range list {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", dl.Seq, dl.DeadAt.Format(time.RFC3339), dl.Subject, dl.Handler,
						orDash(dl.RequestID), shorten(dl.Error, 100))
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().String("subject", "", "only dead letters of this original subject (e.g. acct.routed.us, acct.routed.*)")
	list.Flags().Bool("json", false, "print JSON")

	show := &cobra.Command{
		Use:   "show SEQ",
		Short: "Show one dead letter: the reason, every header and the payload (JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			seq, err := ops.ParseSeq(args[0])
			if err != nil {
				return err
			}
			return withDLQ(cmd, func(ctx context.Context, d *ops.DLQ) error {
				dl, err := d.Show(ctx, seq)
				if err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), dl)
			})
		},
	}

	replay := &cobra.Command{
		Use:   "replay SEQ | --all [--subject S]",
		Short: "Replay dead letters for the handler that gave up on them, once the cause is fixed",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			all, _ := cmd.Flags().GetBool("all")
			subject, _ := cmd.Flags().GetString("subject")
			switch {
			case all && len(args) == 1:
				return errors.New("give either SEQ or --all, not both")
			case !all && len(args) == 0:
				return errors.New("give SEQ, or --all (optionally with --subject)")
			case !all && subject != "":
				return errors.New("--subject goes with --all")
			}
			return withDLQ(cmd, func(ctx context.Context, d *ops.DLQ) error {
				out := cmd.OutOrStdout()
				if !all {
					seq, err := ops.ParseSeq(args[0])
					if err != nil {
						return err
					}
					r, err := d.Replay(ctx, seq)
					if err != nil {
						return err
					}
					printReplayed(out, r)
					return nil
				}
				rs, err := d.ReplayAll(ctx, subject)
				for _, r := range rs {
					printReplayed(out, r)
				}
				if err == nil {
					fmt.Fprintf(out, "%d dead letters replayed\n", len(rs))
				}
				return err
			})
		},
	}
	replay.Flags().Bool("all", false, "replay every dead letter (of --subject)")
	replay.Flags().String("subject", "", "with --all: only dead letters of this original subject")

	for _, c := range []*cobra.Command{list, show, replay} {
		addNATSFlags(c, "nats://127.0.0.1:4222", "NATS server URL")
		cmd.AddCommand(c)
	}
	return []*cobra.Command{cmd}
}

func withDLQ(cmd *cobra.Command, f func(ctx context.Context, d *ops.DLQ) error) error {
	_, conn, err := client(cmd)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), time.Minute)
	defer cancel()
	return f(ctx, &ops.DLQ{JS: conn.JS})
}

func printReplayed(w io.Writer, r ops.Replayed) {
	switch {
	case r.Error != "":
		fmt.Fprintf(w, "dead letter %d (%s, %s): not replayed: %s\n", r.DLQSeq, r.Subject, orDash(r.Handler), r.Error)
	case r.Duplicate:
		fmt.Fprintf(w, "dead letter %d (%s) was replayed before (ACCOUNTS seq %d); removed from the DLQ\n", r.DLQSeq, r.Subject, r.StreamSeq)
	default:
		fmt.Fprintf(w, "dead letter %d replayed on %s for %s (ACCOUNTS seq %d)\n", r.DLQSeq, r.Subject, orDash(r.Handler), r.StreamSeq)
	}
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
