package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/handlers/followup"
	"github.com/acctflow/acctflow/handlers/provisioning"
	"github.com/acctflow/acctflow/handlers/roles"
	"github.com/acctflow/acctflow/handlers/supportgroup"
	"github.com/acctflow/acctflow/ops"
)

// provisioningHandlers: account creation, follow-up email, Role ARN
// validation, and the support plan group checks (timers set on events).
func provisioningHandlers() map[string]factory {
	return map[string]factory{
		provisioning.Name: newProvisioningHandler,
		followup.Name:     newFollowupHandler,
		roles.Name:        newRolesHandler,
		supportgroup.Name: func(_ context.Context, d *deps) (broker.Handler, error) {
			return supportGroup(d, true).Scheduler(), nil
		},
		supportgroup.TimersName: func(_ context.Context, d *deps) (broker.Handler, error) { return supportGroup(d, false).Checker(), nil },
	}
}

// supportGroup is the support plan group check: a timer per created account
// at the end of --support-group-grace, and a check after every support
// change; no periodic pass over the requests.
func supportGroup(d *deps, warn bool) *supportgroup.Handler {
	f := d.cmd.Flags()
	grace, _ := f.GetDuration("support-group-grace")
	if warn && f.Changed("support-group-check") { // set by the flag or ACCTFLOW_SUPPORT_GROUP_CHECK
		d.log.Warn("--support-group-check is deprecated and ignored: the support plan group is checked when an account's grace period ends and after each support change")
	}
	return &supportgroup.Handler{JS: d.conn.JS, Requests: d.store, Grace: grace, Projection: d.projection(),
		Logger: d.log.With("component", "support-group-check"), Now: time.Now}
}

// addProvisioningFlags adds this area's serve flags.
func addProvisioningFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("provisioner", "", "how approved accounts are created: manual (ops run acctflow account record) or organizations (AWS Organizations CreateAccount; AWS config from the SDK's standard chain); default organizations with the AWS sandbox, else manual")
	f.String("aws-role-name", aws.DefaultRoleName, "role CreateAccount creates in the new account for the management account")
	f.Int("aws-max-concurrent", provisioning.DefaultMaxConcurrent, "account creations in progress at once, across every process (with --nats-url, acctflow setup's setting counts)")
	f.Duration("aws-create-deadline", 30*time.Minute, "alert ops (--ops-email) once when a creation is still in progress after this; polling goes on")
	f.String("distributor-account-id", "", "the distributor's AWS account id that resellers' IAM roles must trust (needed by the follow-up and role emails)")
	f.Duration("support-group-grace", 24*time.Hour, "how long after creation an account may go without a support plan group")
	f.Duration("support-group-check", time.Minute, "deprecated, ignored: the check runs when the grace period ends and after each support change")
}

// mailAndAccounts opens what all three handlers use: the mail setup and the
// accounts bucket (creation state and external ids).
func mailAndAccounts(ctx context.Context, d *deps) (*mail, jetstream.KeyValue, error) {
	m, err := d.mail(ctx)
	if err != nil {
		return nil, nil, err
	}
	accounts, err := d.kv(ctx, broker.BucketAccounts)
	return m, accounts, err
}

func newProvisioningHandler(ctx context.Context, d *deps) (broker.Handler, error) {
	p, err := d.provisioner(ctx)
	if err != nil {
		return broker.Handler{}, err
	}
	switch p {
	case "manual", "":
		return provisioning.Manual(), nil
	case "organizations":
	default:
		return broker.Handler{}, fmt.Errorf("--provisioner %q: want manual or organizations", p)
	}
	cfg, err := d.awsConfig(ctx)
	if err != nil {
		return broker.Handler{}, err
	}
	m, accounts, err := mailAndAccounts(ctx, d)
	if err != nil {
		return broker.Handler{}, err
	}
	f := d.cmd.Flags()
	maxConc, _ := f.GetInt("aws-max-concurrent")
	deadline, _ := f.GetDuration("aws-create-deadline")
	// A name kept per data dir: a restarted serve takes back at once the
	// CreateAccount claims it left, instead of waiting out their lease.
	owner, release := driverOwner(d.flag("data-dir"))
	d.closers = append(d.closers, release)
	ledger := effect.NewLedger(accounts, owner, d.log.With("component", "provisioning-driver"))
	drv := &provisioning.Driver{
		JS: d.conn.JS, Topology: d.topo, Ledger: ledger, Requests: d.store, Orgs: aws.NewOrganizations(cfg), Outbox: m.Outbox,
		Domain: m.Domain, ReplyKey: m.Key, Inbox: m.Inbox, Sig: m.Sig, OpsEmail: d.flag("ops-email"),
		RoleName: d.flag("aws-role-name"), MaxConcurrent: maxConc, Deadline: deadline,
		Logger: d.log.With("component", "provisioning-driver"),
	}
	d.background = append(d.background, drv.Run)
	h := &provisioning.Handler{JS: d.conn.JS, Ledger: ledger, Requests: d.store, Logger: d.log}
	return h.Broker(), nil
}

func newFollowupHandler(ctx context.Context, d *deps) (broker.Handler, error) {
	m, accounts, err := mailAndAccounts(ctx, d)
	if err != nil {
		return broker.Handler{}, err
	}
	distributor, err := distributorAccount(d, m)
	if err != nil {
		return broker.Handler{}, err
	}
	h := &followup.Handler{
		Requests: d.store, ExternalIDs: followup.ExternalIDs{KV: accounts}, Outbox: m.Outbox, Domain: m.Domain,
		ReplyKey: m.Key, Inbox: m.Inbox, Sig: m.Sig, DistributorAccountID: distributor, Logger: d.log,
	}
	return h.Broker(), nil
}

func newRolesHandler(ctx context.Context, d *deps) (broker.Handler, error) {
	access, err := d.aws(ctx)
	if err != nil {
		return broker.Handler{}, err
	}
	m, accounts, err := mailAndAccounts(ctx, d)
	if err != nil {
		return broker.Handler{}, err
	}
	distributor, err := distributorAccount(d, m)
	if err != nil {
		return broker.Handler{}, err
	}
	h := &roles.Handler{
		JS: d.conn.JS, Requests: d.store, ExternalIDs: followup.ExternalIDs{KV: accounts},
		Outbox: m.Outbox, Domain: m.Domain, ReplyKey: m.Key, Inbox: m.Inbox, Sig: m.Sig, DistributorAccountID: distributor,
		Logger: d.log, Now: time.Now,
	}
	// Without AWS access a role cannot be assumed: it is marked unverified
	// at once for ops, instead of retried for nothing.
	if access.Access != aws.AccessNone {
		h.STS = aws.NewSTS(access.Config)
	}
	return h.Broker(), nil
}

// opsCommand builds a client command that runs one ops call and prints
// what it published.
func opsCommand(use, short string, args int, run func(cmd *cobra.Command, o *ops.Ops, args []string) (string, error)) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Args: cobra.ExactArgs(args),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, conn, err := client(cmd)
			if err != nil {
				return err
			}
			defer conn.Close()
			out, err := run(cmd, o, args)
			if ops.IsNotFound(err) {
				return fmt.Errorf("request %s not found", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), out)
			return nil
		},
	}
	addNATSFlags(cmd, "nats://127.0.0.1:4222", "NATS server URL")
	return cmd
}

func str(cmd *cobra.Command, name string) string {
	v, _ := cmd.Flags().GetString(name)
	return v
}

// provisioningCommands: account record, account support-group, role submit,
// provisioning retry.
func provisioningCommands() []*cobra.Command {
	record := opsCommand("record ID --account-id N", "Record an account created by hand (manual provisioning)", 1,
		func(cmd *cobra.Command, o *ops.Ops, args []string) (string, error) {
			e, err := o.RecordAccount(cmd.Context(), args[0], str(cmd, "account-id"))
			return fmt.Sprintf("%s: account %s recorded", e.RequestID, e.AccountID), err
		})
	record.Flags().String("account-id", "", "the 12-digit AWS account id")
	_ = record.MarkFlagRequired("account-id")
	group := opsCommand("support-group ID --group G", "Record the account's support plan group (passthrough, business-support)", 1,
		func(cmd *cobra.Command, o *ops.Ops, args []string) (string, error) {
			e, err := o.AssignSupportGroup(cmd.Context(), args[0], str(cmd, "group"))
			return fmt.Sprintf("%s: support plan group %s recorded", e.RequestID, e.Group), err
		})
	group.Flags().String("group", "", "passthrough or business-support")
	_ = group.MarkFlagRequired("group")
	account := &cobra.Command{Use: "account", Short: "Record facts about created accounts"}
	account.AddCommand(record, group)

	submit := opsCommand("submit ID --role-arn ARN", "Submit the customer's IAM Role ARN for validation", 1,
		func(cmd *cobra.Command, o *ops.Ops, args []string) (string, error) {
			e, err := o.SubmitRole(cmd.Context(), args[0], str(cmd, "role-arn"), "acctflow/cli")
			return fmt.Sprintf("%s: role %s submitted for validation", e.RequestID, e.RoleARN), err
		})
	submit.Flags().String("role-arn", "", "arn:aws:iam::<account id>:role/<name>")
	_ = submit.MarkFlagRequired("role-arn")
	role := &cobra.Command{Use: "role", Short: "Submit Role ARNs"}
	role.AddCommand(submit)
	return []*cobra.Command{account, role, newProvisioningCommand()}
}

// requestDecisionCommands are `request approve` and `request reject`.
func requestDecisionCommands() []*cobra.Command {
	approve := opsCommand("approve ID [--by EMAIL] [--note TEXT]", "Approve a request whose details are in (stage details_received)", 1,
		func(cmd *cobra.Command, o *ops.Ops, args []string) (string, error) {
			e, err := o.Approve(cmd.Context(), args[0], str(cmd, "by"), str(cmd, "note"))
			return e.RequestID + ": approved", err
		})
	approve.Flags().String("by", "", "who approves (recorded in the event)")
	approve.Flags().String("note", "", "a note kept with the approval")
	reject := opsCommand("reject ID --reason TEXT", "Reject a request whose details are in; the reseller is mailed the reason", 1,
		func(cmd *cobra.Command, o *ops.Ops, args []string) (string, error) {
			e, err := o.Reject(cmd.Context(), args[0], str(cmd, "reason"))
			return e.RequestID + ": rejected", err
		})
	reject.Flags().String("reason", "", "why, in words the reseller will read")
	_ = reject.MarkFlagRequired("reason")
	return []*cobra.Command{approve, reject}
}

// sandboxDistributorAccount is AWS's documentation example account: with the
// dev sandbox no mail leaves the machine, so the walkthrough works without it.
const sandboxDistributorAccount = "111122223333"

// distributorAccount is --distributor-account-id, or with the dev sandbox a
// placeholder. Without either, follow-up and role emails cannot be
// written: the handlers that send them do not start (they used to start,
// and dead-letter every one).
func distributorAccount(d *deps, m *mail) (string, error) {
	if m.distributor != nil {
		return *m.distributor, nil
	}
	id := d.flag("distributor-account-id")
	switch {
	case id != "":
	case m.Sandbox != nil:
		d.log.Info("--distributor-account-id not set: the sandbox's emails name the example account " + sandboxDistributorAccount)
		id = sandboxDistributorAccount
	default:
		return "", errors.New("--distributor-account-id is needed: the follow-up and role emails tell resellers which AWS account their IAM role must trust")
	}
	m.distributor = &id
	return id, nil
}
