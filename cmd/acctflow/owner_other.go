//go:build !unix

package main

// driverOwner: without flock the driver keeps a random name per process, and
// a restart waits out the lease before resuming its creations.
func driverOwner(string) (string, func()) { return "", func() {} }
