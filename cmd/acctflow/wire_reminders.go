package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/handlers/alerts"
	"github.com/acctflow/acctflow/handlers/reminders"
	"github.com/acctflow/acctflow/handlers/reminders/digest"
	"github.com/acctflow/acctflow/handlers/routing"
	"github.com/acctflow/acctflow/lifecycle"
)

// reminderHandlers: reminders and expiry of requests waiting for the
// reseller, the daily regional digest to ops, and ops alerts. Each acts on
// JetStream message schedules (stream TIMERS) or events, never on a pass
// over every request.
func reminderHandlers() map[string]factory {
	return map[string]factory{
		reminders.Name: func(ctx context.Context, d *deps) (broker.Handler, error) {
			return withReminders(ctx, d, (*reminders.Handler).Planner)
		},
		reminders.TimersName: func(ctx context.Context, d *deps) (broker.Handler, error) {
			return withReminders(ctx, d, (*reminders.Handler).Timers)
		},
		digest.Name: newDigestHandler,
		alerts.Name: newAlertsHandler,
	}
}

// addReminderFlags adds this area's serve flags.
func addReminderFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.DurationSlice("remind-after", reminders.DefaultRemindAfter,
		"when to remind a reseller who has not sent the details, counted from the last email that asked for them (comma-separated)")
	f.Duration("expire-after", reminders.DefaultExpireAfter, "when a request still waiting for the reseller's details expires, counted from the last email that asked for them")
	f.String("digest-schedule", digest.DefaultSchedule, "when each region's ops team gets its daily digest: cron with seconds (sec min hour day month weekday) or @daily")
	f.String("digest-time-zone", digest.DefaultTimeZone, "IANA time zone of --digest-schedule and of the digest's dates")
}

func withReminders(ctx context.Context, d *deps, role func(*reminders.Handler) broker.Handler) (broker.Handler, error) {
	f := d.cmd.Flags()
	remind, _ := f.GetDurationSlice("remind-after")
	expire, _ := f.GetDuration("expire-after")
	cfg := reminders.Config{RemindAfter: remind, ExpireAfter: expire}
	if err := cfg.Check(); err != nil {
		return broker.Handler{}, err
	}
	m, err := d.mail(ctx)
	if err != nil {
		return broker.Handler{}, err
	}
	h := &reminders.Handler{JS: d.conn.JS, Requests: d.store, Outbox: m.Outbox, Config: cfg, Domain: m.Domain, ReplyKey: m.Key,
		Inbox: m.Inbox, Sig: m.Sig, Projection: d.projection(), Logger: d.log, Now: time.Now}
	return role(h), nil
}

func newDigestHandler(ctx context.Context, d *deps) (broker.Handler, error) {
	table, err := routing.LoadTable(d.flag("regions"))
	if err != nil {
		return broker.Handler{}, err
	}
	tz := d.flag("digest-time-zone")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return broker.Handler{}, fmt.Errorf("--digest-time-zone %q: %w", tz, err)
	}
	m, err := d.mail(ctx)
	if err != nil {
		return broker.Handler{}, err
	}
	open, err := d.kv(ctx, broker.BucketOpen)
	if err != nil {
		return broker.Handler{}, err
	}
	regions := map[string]digest.Region{}
	for _, name := range table.Regions() {
		r, _ := table.Region(name)
		email := r.OpsEmail
		if email == "" {
			email = d.flag("ops-email")
		}
		regions[name] = digest.Region{Name: name, OpsTeam: r.OpsTeam, OpsEmail: email}
	}
	timers := broker.Timers{JS: d.conn.JS}
	if err := digest.Ensure(ctx, timers, table.Regions(), d.flag("digest-schedule"), tz); err != nil {
		return broker.Handler{}, fmt.Errorf("--digest-schedule: %w", err)
	}
	h := &digest.Handler{Index: lifecycle.NewIndex(open), Regions: regions, Timers: timers, Outbox: m.Outbox, Domain: m.Domain,
		Location: loc, Logger: d.log, Now: time.Now}
	return h.Broker(), nil
}
