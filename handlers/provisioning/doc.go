// Package provisioning creates AWS accounts for approved requests through
// AWS Organizations (--provisioner organizations).
//
// The handler (acct.approved) only queues: it writes a provisioning record
// in KV accounts under "req.<request id>" with Create, so a redelivered
// approval, or one handled by a second replica, finds it and does nothing.
// The Driver, a background job, carries records through their states:
//
//	queued → creating (claimed, before CreateAccount) → polling (car- id stored)
//	       → succeeded (acct.created) | failed (acct.creation.failed)
//	creating or polling with an answer that is not final → unknown (ops alerted)
//
// Exactly one CreateAccount per approval: the claim is written before the
// call and the car- id right after it; a restart resumes polling with the
// stored id. A claim found without a car- id (the process died during the
// call, or could not store the id) cannot be resolved safely: AWS may or may
// not have started a creation, and CreateAccount has no idempotency token,
// so the record goes to unknown and ops get one alert telling them to look
// in Organizations and record the account with `acctflow account record`.
// The same happens when CreateAccount gets no answer at all (network error,
// timeout). Throttling and ConcurrentModification answers mean nothing was
// created: the record goes back to the queue with backoff and jitter.
//
// At most MaxConcurrent creations are in progress per process (a slot count
// in the driver, not across replicas); queued records wait their turn,
// oldest first. Records of a driver that stopped renewing its heartbeat are
// taken over after the lease. A creation still in progress after Deadline
// alerts ops once and keeps being polled. EMAIL_ALREADY_EXISTS and
// INVALID_EMAIL send the request back to awaiting_details (the projection
// does that from new_root_email_needed) with a clarification email asking
// for another root email; a later approval with the new email replaces the
// failed record. The unusable address keeps its root-email claim.
package provisioning
