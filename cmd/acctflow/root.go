package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/acctflow/acctflow/logging"
	"github.com/acctflow/acctflow/secrets"
)

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "acctflow",
		Short:         "Automates new AWS accounts for resellers' customers over NATS JetStream",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return applyEnv(cmd.Flags())
		},
	}
	root.PersistentFlags().String("log-format", "text", "log format: text or json")
	root.PersistentFlags().String("log-level", "info", "log level: debug, info, warn, error")
	root.AddCommand(newServe(), newSetup(), newRequest(), newWatch())
	for _, area := range [][]*cobra.Command{mailCommands(), repliesCommands(), ticketCommands(), provisioningCommands(), dlqCommands()} {
		root.AddCommand(area...)
	}
	return root
}

// applyEnv gives every flag its environment twin: ACCTFLOW_ + the flag name
// in upper snake case. A flag given on the command line wins.
func applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, serr)
			}
		}
	})
	return err
}

func envName(flag string) string {
	return "ACCTFLOW_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func logger(cmd *cobra.Command) (*slog.Logger, error) {
	format, _ := cmd.Flags().GetString("log-format")
	lvl, _ := cmd.Flags().GetString("log-level")
	var level slog.Level
	if err := level.UnmarshalText([]byte(lvl)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", lvl, err)
	}
	return logging.New(os.Stderr, format, level)
}

// secret reads a secret from the environment variable or, when that is
// empty, from the file its *_FILE twin names. Secrets never have flags with
// defaults, so they never show in --help or ps.
// A documented placeholder ("change-me…") is refused (secrets.Check).
func secret(name string) (string, error) {
	if v := os.Getenv(name); v != "" {
		return v, secrets.Check(name, v)
	}
	if path := os.Getenv(name + "_FILE"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("reading %s_FILE: %w", name, err)
		}
		v := strings.TrimSpace(string(data))
		return v, secrets.Check(name+"_FILE "+path, v)
	}
	return "", nil
}
