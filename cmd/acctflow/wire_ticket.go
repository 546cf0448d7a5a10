package main

import "github.com/spf13/cobra"

// ticketHandlers lists this area's handlers (H2: tickets).
func ticketHandlers() ([]string, map[string]factory) { return nil, nil }

// addTicketFlags adds this area's serve flags.
func addTicketFlags(cmd *cobra.Command) {}

// ticketCommands are this area's client commands.
func ticketCommands() []*cobra.Command { return nil }
