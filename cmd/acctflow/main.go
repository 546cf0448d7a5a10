// Command acctflow runs the account provisioning pipeline (`serve`) and the
// client commands that ops and upstream systems use.
package main

import (
	"context"
	"errors"
	"fmt"
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
		fmt.Fprintln(os.Stderr, "acctflow:", secrets.RedactURLs(err.Error()))
		os.Exit(1)
	}
}

// exitError ends the process with a code after the command printed its own
// message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }
