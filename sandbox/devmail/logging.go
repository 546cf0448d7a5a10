package devmail

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// libLogger adapts slog to the Printf-style loggers of go-smtp and
// imapserver. Both report recovered panics through it; those are errors, the
// rest (broken connections, bad commands) are client trouble.
type libLogger struct {
	log    *slog.Logger
	server string
}

func (l libLogger) Printf(format string, args ...any) {
	l.emit(fmt.Sprintf(format, args...))
}

func (l libLogger) Println(args ...any) {
	l.emit(strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
}

func (l libLogger) emit(msg string) {
	level := slog.LevelDebug
	if strings.Contains(msg, "panic") {
		level = slog.LevelError
	}
	l.log.Log(context.Background(), level, msg, "server", l.server)
}
