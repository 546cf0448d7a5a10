// Command acctflow runs the account provisioning pipeline (`serve`) and the
// client commands that ops and upstream systems use.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/acctflow/acctflow/secrets"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			os.Exit(exit.code)
		}
		printError(os.Stderr, err)
		os.Exit(1)
	}
}

// printError writes a command's error with the credentials of any URL in it
// redacted: errors quote URLs given on the command line or in the
// environment (--nats-url nats://user:password@…).
func printError(w io.Writer, err error) {
	fmt.Fprintln(w, "acctflow:", secrets.RedactURLs(err.Error()))
}

// exitError ends the process with a code after the command printed its own
// message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }
