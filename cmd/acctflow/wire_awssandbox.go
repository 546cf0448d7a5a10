package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/handlers/followup"
	"github.com/acctflow/acctflow/sandbox/devaws"
)

// addAWSFlags adds the AWS sandbox settings of serve. Real AWS settings come
// from the SDK's standard chain only (see package aws).
func addAWSFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Bool("aws-sandbox", true, "with no AWS configuration (no credentials, profile or AWS_ENDPOINT_URL*), start a local AWS Organizations + STS sandbox and use it: by default only with the embedded NATS server and the dev mail sandbox, given explicitly also beside a shared NATS or real mail; false: never (then there is no AWS access)")
	f.String("dev-aws", "127.0.0.1:0", "AWS sandbox listen address (loopback; port 0 picks a free one)")
	f.Duration("dev-aws-delay", 5*time.Second, "how long an account creation stays IN_PROGRESS in the AWS sandbox")
}

// awsWiring is what serve decided about AWS at start-up, once a handler
// asked: the access, and the provisioner.
type awsWiring struct {
	setup       *awsSetup
	provisioner string
}

// awsSetup is the AWS access serve decided on at start-up.
type awsSetup struct {
	Access  aws.Access
	Config  sdkaws.Config  // for package aws's clients; with AccessNone every call fails without network
	Found   []string       // the AWS settings present (names only)
	Sandbox *devaws.Server // with AccessSandbox
}

// accountRequestTag is the tag the provisioning handler puts on every
// CreateAccount, naming the request the account is for.
const accountRequestTag = "acctflow:request-id"

// aws decides once which AWS this process reaches: the standard chain when
// any AWS setting is present, else the AWS sandbox (started here) when this
// is the all-local setup or --aws-sandbox says so, else none. Beside a
// shared NATS or real mail a sandbox would create accounts nobody has and
// mail their ids to real resellers, so it is never started by default.
func (d *deps) aws(ctx context.Context) (*awsSetup, error) {
	if d.awsw.setup != nil {
		return d.awsw.setup, nil
	}
	settings, err := aws.LoadSettings(ctx)
	if err != nil {
		return nil, err
	}
	setup := &awsSetup{Access: aws.AccessReal, Config: settings.Config, Found: settings.Found}
	useSandbox, _ := d.cmd.Flags().GetBool("aws-sandbox")
	local := !d.external && d.flag("smtp-host") == ""
	switch {
	case settings.Configured():
		d.log.Info("AWS access from the SDK's standard chain", "settings", strings.Join(settings.Found, ","))
	case !useSandbox:
		setup.Access = aws.AccessNone
		d.log.Warn("no AWS configuration and --aws-sandbox=false: no AWS access; accounts cannot be created through Organizations and Role ARNs cannot be checked")
	case !local && !d.cmd.Flags().Changed("aws-sandbox"):
		setup.Access = aws.AccessNone
		d.log.Warn("no AWS configuration: no AWS access, so ops record accounts made by hand and check Role ARNs themselves. "+
			"The AWS sandbox starts by itself only with the embedded NATS server and the dev mail sandbox (--aws-sandbox starts it here anyway); "+
			"for real AWS, configure the SDK (AWS_PROFILE, AWS_ACCESS_KEY_ID, …)", "nats_url_set", d.external, "smtp_host_set", d.flag("smtp-host") != "")
	default:
		sb, err := d.startAWSSandbox(ctx)
		if err != nil {
			return nil, err
		}
		setup.Access, setup.Config, setup.Sandbox = aws.AccessSandbox, sb.Config(), sb
	}
	d.awsw.setup = setup
	return setup, nil
}

// awsConfig is the SDK configuration of the AWS this process reaches.
func (d *deps) awsConfig(ctx context.Context) (sdkaws.Config, error) {
	a, err := d.aws(ctx)
	if err != nil {
		return sdkaws.Config{}, err
	}
	return a.Config, nil
}

func (d *deps) startAWSSandbox(ctx context.Context) (*devaws.Server, error) {
	accounts, err := d.kv(ctx, broker.BucketAccounts)
	if err != nil {
		return nil, err
	}
	f := d.cmd.Flags()
	delay, _ := f.GetDuration("dev-aws-delay")
	dir := filepath.Join(d.flag("data-dir"), "aws")
	ext := followup.ExternalIDs{KV: accounts}
	sb, err := devaws.Start(ctx, devaws.Config{
		Addr: d.flag("dev-aws"), Dir: dir, CreateDelay: delay,
		// The customer created the role as the follow-up email asked: it
		// requires the external id acctflow keeps for the account's request.
		Trust: func(ctx context.Context, acct devaws.Account, _ string) (string, error) {
			id := acct.Tags[accountRequestTag]
			if id == "" {
				return "", errors.New("account " + acct.ID + " was not created for an acctflow request")
			}
			return ext.For(ctx, id)
		},
		Logger: d.log.With("component", "aws-sandbox"),
	})
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, sb.Close)
	d.log.Info("AWS sandbox in use: no AWS configuration found, so AWS Organizations and STS are served locally and no AWS account is touched",
		"url", sb.URL, "state", dir, "create_delay", delay.String())
	return sb, nil
}

// provisioner is --provisioner when given (flag or environment), else
// organizations when the AWS sandbox is in use (it is there to be used) and
// manual otherwise.
func (d *deps) provisioner(ctx context.Context) (string, error) {
	if d.cmd.Flags().Changed("provisioner") {
		p := d.flag("provisioner")
		if p != "organizations" {
			d.awsw.provisioner = p
			return p, nil
		}
		a, err := d.aws(ctx)
		if err != nil {
			return "", err
		}
		if a.Access == aws.AccessNone {
			return "", fmt.Errorf("--provisioner organizations needs AWS access: configure AWS (AWS_PROFILE, AWS_ACCESS_KEY_ID, …), or --aws-sandbox for the sandbox")
		}
		d.awsw.provisioner = p
		return p, nil
	}
	a, err := d.aws(ctx)
	if err != nil {
		return "", err
	}
	if a.Access == aws.AccessSandbox {
		d.log.Info("--provisioner not set: using organizations, since the AWS sandbox is in use")
		d.awsw.provisioner = "organizations"
		return "organizations", nil
	}
	d.awsw.provisioner = "manual"
	return "manual", nil
}

// health is what /healthz shows beside its status: which AWS this process
// reaches and how it creates accounts, once the handlers that use them
// decided.
func (d *deps) health() map[string]string {
	h := map[string]string{}
	if p := d.awsw.provisioner; p != "" {
		h["provisioner"] = p
	}
	if a := d.awsw.setup; a != nil {
		h["aws"] = string(a.Access)
		if a.Sandbox != nil {
			h["aws_sandbox"] = a.Sandbox.URL
		}
	}
	return h
}
