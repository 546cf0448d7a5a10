// Package logtest holds what tests need to read what was logged.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that loggers in several goroutines may write to
// while a test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
