// Package mailer sends acctflow's outbound mail: the SMTP Sender (go-mail
// behind it), the embedded text and HTML templates rendered from typed data
// in the reseller's language (sentences from the go-i18n catalogue under
// locales/, see locales/README.md), the reply-address token and the
// deterministic Message-ID.
//
// Conventions the rest of acctflow relies on:
//   - Message-IDs are handled without angle brackets everywhere in Go code
//     (Message.MessageID, InReplyTo, References, MessageID's result), the form
//     go-message's Header.MessageID and MsgIDList return. Send adds the
//     brackets on the wire and tolerates values that already carry them.
//   - The reply token is <local>+<request_id>.<mac>@<domain>, mac being the
//     first 12 hex digits of HMAC-SHA256(key, request_id).
//   - Send makes one attempt. Its errors are temporary (plain) unless marked
//     retry.Permanent: the caller retries and keeps sends idempotent.
package mailer
