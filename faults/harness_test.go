package faults

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
)

// bin is the acctflow binary TestMain builds for the whole run.
var bin string

func TestMain(m *testing.M) {
	// The profiles mostly wait (on timers, leases and other processes), not
	// compute: run them all at once unless -parallel was given.
	flag.Parse()
	if !flagSet("test.parallel") {
		_ = flag.Set("test.parallel", "8")
	}
	dir, err := os.MkdirTemp("", "acctflow-faults-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "acctflow")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/acctflow")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building acctflow:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// binary is the acctflow binary under test.
func binary(*testing.T) string { return bin }

// freePort is brokertest.FreeAddr: below the kernel's ephemeral range, so
// that a process restarted on its port never finds it taken.
func freePort(t *testing.T) string { return brokertest.FreeAddr(t) }

// proc is one `acctflow serve` process that can be killed and restarted with
// the same arguments. Like a process supervisor (systemd, Kubernetes,
// compose's restart policy), it restarts the process when it exits on its
// own, and counts those exits.
type proc struct {
	t    *testing.T
	bin  string
	args []string
	env  []string
	log  *os.File

	mu        sync.Mutex
	cmd       *exec.Cmd
	exited    chan struct{} // closed when the current run has ended
	planned   bool          // the current run is being ended by kill or stop
	stopped   bool          // no more restarts
	starts    int
	unplanned int // exits nobody asked for
}

func (p *proc) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startLocked()
}

func (p *proc) startLocked() {
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		p.t.Errorf("starting acctflow: %v", err)
		return
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.planned = cmd, exited, false
	p.starts++
	go p.supervise(cmd, exited)
}

// supervise waits for one run and restarts the process after a second when
// it ended without being asked to.
func (p *proc) supervise(cmd *exec.Cmd, exited chan struct{}) {
	_ = cmd.Wait()
	close(exited)
	p.mu.Lock()
	restart := !p.planned && !p.stopped && p.cmd == cmd
	if restart {
		p.unplanned++
		fmt.Fprintf(p.log, "fault suite: acctflow exited on its own (%v); restarting it in 1s\n", cmd.ProcessState)
	}
	p.mu.Unlock()
	if !restart {
		return
	}
	time.Sleep(time.Second) // a supervisor's restart delay
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == cmd && !p.stopped {
		p.startLocked()
	}
}

// kill sends SIGKILL: no shutdown code runs.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.planned = true
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// stop asks for a graceful shutdown and ends the supervision.
func (p *proc) stop() error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.planned, p.stopped = true, true
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		return fmt.Errorf("acctflow did not stop within 30s")
	}
}

// exits returns the number of exits nobody asked for.
func (p *proc) exits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unplanned
}

// waitFor calls f every interval until it succeeds, ctx ends or, when
// given, tries attempts were made.
func waitFor(ctx context.Context, every time.Duration, f func() error, tries ...int) error {
	var err error
	for n := 1; ; n++ {
		if err = f(); err == nil {
			return nil
		}
		if len(tries) > 0 && n >= tries[0] {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %v", ctx.Err(), err)
		case <-time.After(every):
		}
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
