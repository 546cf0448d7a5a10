package main

import (
	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/ops"
)

// heldCommands: ops decisions on replies held because nothing proved their
// sender (`request show` lists them).
func heldCommands() []*cobra.Command {
	release := opsCommand("release REQUEST-ID [--reply ID] [--by EMAIL]",
		"Apply a held reply of a request, after checking with the contact that they sent it", 1,
		func(cmd *cobra.Command, o *ops.Ops, args []string) (string, error) {
			e, err := o.ReleaseReply(cmd.Context(), args[0], str(cmd, "reply"), str(cmd, "by"))
			return args[0] + ": reply " + e.ReplyID + " released; it applies now", err
		})
	discard := opsCommand("discard REQUEST-ID [--reply ID] [--reason TEXT]",
		"Drop a held reply of a request for good", 1,
		func(cmd *cobra.Command, o *ops.Ops, args []string) (string, error) {
			e, err := o.DiscardReply(cmd.Context(), args[0], str(cmd, "reply"), str(cmd, "by"), str(cmd, "reason"))
			return args[0] + ": reply " + e.ReplyID + " discarded", err
		})
	for _, c := range []*cobra.Command{release, discard} {
		c.Flags().String("reply", "", "the held reply's id (or its first characters), when several wait")
		c.Flags().String("by", "", "who decides (recorded in the event)")
	}
	discard.Flags().String("reason", "", "why (kept with the event)")
	return []*cobra.Command{release, discard}
}
