package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/routing"
)

func newWatch() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "watch --region R",
		Short: "Ops: follow a region's topic (acct.routed.<region> and its alerts)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			region, _ := f.GetString("region")
			asJSON, _ := f.GetBool("json")
			count, _ := f.GetInt("count")
			timeout, _ := f.GetDuration("timeout")
			all, _ := f.GetBool("all")
			regionsFile, _ := f.GetString("regions")
			table, err := routing.LoadTable(regionsFile)
			if err != nil {
				return err
			}
			if _, ok := table.Region(region); !ok {
				return fmt.Errorf("--region %q: no such region (regions: %s; --regions names a table of your own)", region, strings.Join(table.Regions(), ", "))
			}
			cfg, err := connConfig(cmd, "acctflow-watch")
			if err != nil {
				return err
			}
			conn, err := broker.Connect(cmd.Context(), cfg)
			if err != nil {
				return fmt.Errorf("%w (is `acctflow serve` running?)", err)
			}
			defer conn.Close()
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			policy := jetstream.DeliverNewPolicy
			if all {
				policy = jetstream.DeliverAllPolicy
			}
			cons, err := conn.JS.OrderedConsumer(ctx, events.Stream, jetstream.OrderedConsumerConfig{
				FilterSubjects: []string{events.SubjectRoutedPrefix + region, events.SubjectSupportGroupMissing},
				DeliverPolicy:  policy,
			})
			if err != nil {
				return fmt.Errorf("following %s%s: %w", events.SubjectRoutedPrefix, region, err)
			}
			out := cmd.OutOrStdout()
			seen := 0
			for count == 0 || seen < count {
				msg, err := cons.Next(jetstream.FetchContext(ctx))
				if err != nil {
					if ctx.Err() != nil {
						if count > 0 {
							return fmt.Errorf("saw %d of %d events before the timeout", seen, count)
						}
						return nil
					}
					return fmt.Errorf("reading events: %w", err)
				}
				if msg.Subject() == events.SubjectSupportGroupMissing {
					var e events.SupportGroupMissing
					if json.Unmarshal(msg.Data(), &e) != nil || e.Region != region {
						continue
					}
				}
				seen++
				if asJSON {
					fmt.Fprintln(out, string(msg.Data()))
					continue
				}
				printEvent(out, msg.Subject(), msg.Data())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.String("region", "", "region to follow (us, ca, emea, apac, latam, or a configured one)")
	_ = cmd.MarkFlagRequired("region")
	f.Bool("json", false, "print each event's JSON payload on one line")
	f.Int("count", 0, "exit after this many events (0: run until interrupted)")
	f.Duration("timeout", 0, "give up after this long (0: no limit)")
	f.Bool("all", false, "start from the first stored event instead of new ones")
	f.String("regions", "", "JSON file overriding the country → region table, as given to serve")
	addNATSFlags(cmd, "nats://127.0.0.1:4222", "NATS server URL")
	return cmd
}

func printEvent(w interface{ Write([]byte) (int, error) }, subject string, data []byte) {
	switch {
	case subject == events.SubjectSupportGroupMissing:
		var e events.SupportGroupMissing
		_ = json.Unmarshal(data, &e)
		fmt.Fprintf(w, "%s  SUPPORT GROUP MISSING  %s account %s: expected %s (%s)\n", time.Now().Format(time.TimeOnly), e.RequestID, e.AccountID, e.ExpectedGroup, e.Cause)
	default:
		var e events.AccountRouted
		_ = json.Unmarshal(data, &e)
		q := e.Request
		fmt.Fprintf(w, "%s  %s  %s → %s  reseller %s (%s, %s) <%s>  customer %s  reply via %s\n",
			e.RoutedAt, e.RequestID, e.Region, e.OpsTeam, q.Reseller.Name, q.Reseller.ID, q.Reseller.Country,
			q.Reseller.PrimaryContact.Email, q.Customer.Name, e.ReplyChannel)
	}
}
