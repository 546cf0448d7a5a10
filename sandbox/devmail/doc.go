// Package devmail is the dev mail sandbox: an in-process SMTP server that
// accepts mail for any address and an IMAP server where every address is a
// user whose INBOX holds its mail. acctflow uses it when no real mail server
// is configured, so that a person can drive the whole request loop with curl
// or Thunderbird.
//
// Anyone who can reach the ports can read every mailbox (any password is
// accepted unless Config.Password is set, and nothing is encrypted), so the
// listen addresses must be loopback ones in development. The caller decides.
//
// Mail to "local+tag@domain" lands in the "local@domain" mailbox and
// addresses are case-insensitive, as on real servers. Each delivered copy gets
// Return-Path and Delivered-To trace headers (Delivered-To keeps the +tag),
// like a Postfix/Dovecot delivery. With Config.Dir the mailboxes, their UIDs,
// UIDVALIDITY and flags survive restarts.
package devmail
