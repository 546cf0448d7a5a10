// Package sandbox holds the zero-setup stand-ins `acctflow serve` starts when
// nothing is configured: devmail (SMTP + IMAP, a mailbox per address) and
// devaws (AWS Organizations + STS on loopback, speaking the real wire
// protocols). Production code paths never depend on them; they only replace
// the servers at the edges.
package sandbox
