package main

import "github.com/spf13/cobra"

// provisioningHandlers lists this area's handlers (H3: approval, provisioning, follow-up, roles, support groups).
func provisioningHandlers() ([]string, map[string]factory) { return nil, nil }

// addProvisioningFlags adds this area's serve flags.
func addProvisioningFlags(cmd *cobra.Command) {}

// provisioningCommands are this area's client commands.
func provisioningCommands() []*cobra.Command { return nil }

// requestDecisionCommands are `request approve` and `request reject`.
func requestDecisionCommands() []*cobra.Command { return nil }
