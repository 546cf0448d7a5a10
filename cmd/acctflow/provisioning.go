package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/ops"
)

// newProvisioningCommand is `acctflow provisioning retry ID`: a new
// CreateAccount for a request whose last one has an unknown outcome, once
// ops found no account for it in AWS Organizations, or whose creation
// failed on our side, once ops fixed the cause.
func newProvisioningCommand() *cobra.Command {
	retry := opsCommand("retry ID [--by EMAIL]",
		"Create the account again for a request whose CreateAccount outcome is unknown (check AWS Organizations first: if the account exists, use account record) or whose creation failed on our side (creation_failed: fix the cause first)", 1,
		func(cmd *cobra.Command, o *ops.Ops, args []string) (string, error) {
			e, err := o.RetryProvisioning(cmd.Context(), args[0], str(cmd, "by"))
			var refused *ops.RetryRefused
			if errors.As(err, &refused) {
				return "", fmt.Errorf("refused: %w", err)
			}
			return fmt.Sprintf("%s: account creation retry %d requested", e.RequestID, e.Retry), err
		})
	retry.Flags().String("by", "", "who asks (recorded in the event)")
	cmd := &cobra.Command{Use: "provisioning", Short: "Act on AWS account creations (--provisioner organizations)"}
	cmd.AddCommand(retry)
	return cmd
}
