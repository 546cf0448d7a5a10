package main

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// kv opens a KV bucket of the topology serve provisioned.
func (d *deps) kv(ctx context.Context, bucket string) (jetstream.KeyValue, error) {
	kv, err := d.conn.JS.KeyValue(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("opening KV %s: %w", bucket, err)
	}
	return kv, nil
}

// objects opens an object store of the topology serve provisioned.
func (d *deps) objects(ctx context.Context, name string) (jetstream.ObjectStore, error) {
	o, err := d.conn.JS.ObjectStore(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("opening object store %s: %w", name, err)
	}
	return o, nil
}
