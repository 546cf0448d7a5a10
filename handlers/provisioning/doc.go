// Package provisioning creates AWS accounts for approved requests through
// AWS Organizations (--provisioner organizations).
//
// The handler (acct.approved) only queues: it publishes a Job on the
// PROVISIONING stream (provisioning.create.<request>, a deterministic
// Nats-Msg-Id per approval) when the approval starts a creation, and
// absorbs a redelivered or duplicated approval. The Driver consumes the
// jobs: it calls CreateAccount through the effect ledger (record
// create_account.<request> in KV accounts), then keeps the job unacked and
// has JetStream redeliver it (a NAK with the poll delay) for every
// DescribeCreateAccountStatus, until AWS says SUCCEEDED (acct.created) or
// FAILED (acct.creation.failed); only then is the job acked. Nothing ever
// lists the records: an idle driver does nothing, however many creations
// have finished.
//
// At most MaxConcurrent creations are under way, across every replica: it
// is the driver consumer's MaxAckPending, and a job holds its place from
// its first delivery to its ack (throttled creates and polls included).
//
// Exactly one CreateAccount per approval: the ledger's claim is written
// before the call and the creation request id (car-…) right after it. A
// claim found without an outcome (the process died during the call), or a
// call that got no answer (network error, timeout), cannot be resolved
// safely — AWS may or may not have started a creation, and CreateAccount has
// no idempotency token — so the record goes to unknown (the ledger parks
// it) and ops get one alert telling them to look in Organizations: then
// `acctflow account record ID --account-id N` if the account exists, or
// `acctflow provisioning retry ID` (an acct.approved with retry: n) to
// create it again. Throttling and ConcurrentModification answers mean
// nothing was created: the ledger holds the creation back with backoff and
// jitter (a Retry-After is honoured without counting), and gives up after
// its budget. A creation still in progress after Deadline (server clock)
// alerts ops once and keeps being polled. EMAIL_ALREADY_EXISTS and
// INVALID_EMAIL send the request back to awaiting_details (the projection
// does that from new_root_email_needed) with a clarification email asking
// for another root email; a later approval with the new email reopens the
// record for a new round. The unusable address keeps its root-email claim.
package provisioning
