//go:build !unix

package main

// driverOwner: without flock the driver keeps a random name per process, and
// a restart waits out the lease before resuming its creations.
func driverOwner(string) (string, func()) { return "", func() {} }

// lockStore: without flock a second serve on the same data dir is not
// refused.
func lockStore(string) (func(), error) { return func() {}, nil }
