package main

import "github.com/spf13/cobra"

// addMailFlags adds the outbound and inbound mail settings of serve.
func addMailFlags(cmd *cobra.Command) {}
