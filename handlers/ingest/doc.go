// Package ingest connects the IMAP readers of mailer/inbox to JetStream: its
// Sink keeps each message's raw bytes in the object store mail-raw and
// announces them as acct.reply.received; its Cursor keeps each folder's place
// in KV imap-cursor. The order the reader guarantees (Deliver, then Save)
// together with this package's order (object, then event) means a message is
// never announced before it is stored, nor skipped before it is announced.
package ingest
