package deploy_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/deploy"
)

// TestNATSConfUpToDate: deploy/nats.conf is what the declarations make.
func TestNATSConfUpToDate(t *testing.T) {
	got, err := os.ReadFile("nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, deploy.NATSConf()) {
		t.Fatal("deploy/nats.conf differs from the handlers' declarations: run `go run ./cmd/acctflow setup --print-nats-conf > deploy/nats.conf`")
	}
}

func TestDeclarations(t *testing.T) {
	if err := broker.CheckDeclarations(deploy.All()); err != nil {
		t.Fatal(err)
	}
}
