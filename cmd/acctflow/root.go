package main

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
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
			for _, name := range unknownEnv(cmd.Root(), os.Environ()) {
				fmt.Fprintf(cmd.ErrOrStderr(), "acctflow: %s is no setting of acctflow (misspelt?): ignored\n", name)
			}
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

// secretEnv names the settings that have no flag (secrets: each also as
// a *_FILE twin).
var secretEnv = []string{"ACCTFLOW_API_TOKENS", "ACCTFLOW_DEV_MAIL_PASSWORD", "ACCTFLOW_FRESHDESK_API_KEY", "ACCTFLOW_IMAP_PASSWORD",
	"ACCTFLOW_NATS_PASSWORD", "ACCTFLOW_REPLY_KEY", "ACCTFLOW_REPLY_KEY_PREVIOUS", "ACCTFLOW_SMTP_PASSWORD"}

// otherEnv are prefixes of ACCTFLOW_ variables read elsewhere: the NATS
// server's passwords in deploy/nats.conf, and the tests' switches.
var otherEnv = []string{"ACCTFLOW_IMAP_PASSWORD_DIR", "ACCTFLOW_NATS_PASSWORD_", "ACCTFLOW_FAULTS", "ACCTFLOW_TEST_", "ACCTFLOW_CHROME", "ACCTFLOW_SCREENSHOTS"}

// unknownEnv lists the ACCTFLOW_ variables of environ that no command's
// flag, no secret and nothing else reads: a misspelt ACCTFLOW_NATS_URL
// would otherwise leave a process quietly on an embedded broker of its own.
func unknownEnv(root *cobra.Command, environ []string) []string {
	known := map[string]bool{}
	for _, s := range secretEnv {
		known[s], known[s+"_FILE"] = true, true
	}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { known[envName(f.Name)] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { known[envName(f.Name)] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "ACCTFLOW_") || known[name] || slices.ContainsFunc(otherEnv, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		unknown = append(unknown, name)
	}
	slices.Sort(unknown)
	return unknown
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
