package main

import "github.com/spf13/cobra"

// mailHandlers: confirmation and rejection emails.
func mailHandlers() ([]string, map[string]factory) { return nil, nil }

// mailCommands are the mail client commands (devmail).
func mailCommands() []*cobra.Command { return nil }
