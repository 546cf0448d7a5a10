// Package deploy gathers what every acctflow process declares it touches in
// NATS (broker.Declaration): the handlers, in start order, and the API. The
// handlers serve runs (cmd/acctflow), the topology `acctflow setup`
// provisions, the NATS users of nats.conf (NATSConf) and the services of
// compose.yaml (checked by this package's tests) all derive from this list,
// so adding a handler touches its own package and this list.
package deploy

import (
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/acknowledgement"
	"github.com/acctflow/acctflow/handlers/alerts"
	"github.com/acctflow/acctflow/handlers/confirmation"
	"github.com/acctflow/acctflow/handlers/followup"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/handlers/provisioning"
	"github.com/acctflow/acctflow/handlers/rejection"
	"github.com/acctflow/acctflow/handlers/reminders"
	"github.com/acctflow/acctflow/handlers/reminders/digest"
	"github.com/acctflow/acctflow/handlers/replies"
	"github.com/acctflow/acctflow/handlers/roles"
	"github.com/acctflow/acctflow/handlers/routing"
	"github.com/acctflow/acctflow/handlers/supportgroup"
	"github.com/acctflow/acctflow/handlers/tickets"
)

// Handlers are every handler, in the order serve starts them.
var Handlers = []broker.Declaration{
	routing.Declaration, projection.Declaration,
	confirmation.Declaration, rejection.Declaration,
	replies.Declaration, acknowledgement.Declaration, tickets.Declaration,
	provisioning.Declaration, followup.Declaration, roles.Declaration,
	supportgroup.Declaration, supportgroup.TimersDeclaration,
	reminders.Declaration, reminders.TimersDeclaration, digest.Declaration, alerts.Declaration,
}

// API is the HTTP API and ops console (serve --handlers none) and the client
// commands: it publishes the commands of ops (package ops), reads the
// records, accounts, open requests and raw replies, follows the events
// (console, watch), waits for the projection (the console's live feed reads
// a changed request once it is folded in) and lists, replays and removes
// dead letters — a replay republishes on the original subject, any
// handler's input.
var API = broker.Declaration{
	Name: "api",
	Outputs: []string{
		events.SubjectRequested, events.SubjectApproved, events.SubjectRejected, events.SubjectCreated,
		events.SubjectRoleSubmitted, events.SubjectSupportGroupAssigned, events.SubjectSupportChanged,
		events.SubjectReplyReleased, events.SubjectReplyDiscarded,
	},
	Reads:       []string{broker.BucketAccounts, broker.BucketOpen, broker.ObjectMailRaw},
	Waits:       []string{projection.Name},
	ReadsEvents: true,
	DeadLetters: true,
}

// Upstream is the systems the contract (DESIGN §3) lets publish: account
// requests (the resellers' portal, `nats pub acct.requested`), a customer's
// Role ARN and support type changes. Nothing else.
var Upstream = broker.Declaration{Name: "upstream", External: true,
	Outputs: []string{events.SubjectRequested, events.SubjectRoleSubmitted, events.SubjectSupportChanged}}

// Reader is the ops tools that only look: `acctflow watch` follows the
// events, `acctflow request show` reads the records.
var Reader = broker.Declaration{Name: "reader", ReadsEvents: true}

// Admin is the user `acctflow setup` connects as: it may do anything.
const Admin = "admin"

// All are the declarations of every NATS user but the admin.
func All() []broker.Declaration {
	return append(append([]broker.Declaration{}, Handlers...), API, Upstream, Reader)
}

// Handler returns the declaration of the named handler.
func Handler(name string) (broker.Declaration, bool) {
	for _, d := range Handlers {
		if d.Name == name {
			return d, true
		}
	}
	return broker.Declaration{}, false
}

// Names are the handlers' names in start order.
func Names() []string {
	out := make([]string, len(Handlers))
	for i, d := range Handlers {
		out[i] = d.Name
	}
	return out
}
