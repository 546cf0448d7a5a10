package main

import "github.com/spf13/cobra"

// repliesHandlers lists this area's handlers (H1: replies + inbox).
func repliesHandlers() ([]string, map[string]factory) { return nil, nil }

// addRepliesFlags adds this area's serve flags.
func addRepliesFlags(cmd *cobra.Command) {}

// repliesCommands are this area's client commands.
func repliesCommands() []*cobra.Command { return nil }
