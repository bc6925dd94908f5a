package lease_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/lease"
)

const childEnv = "LEASE_TEST_HOLD"

// TestMain lets the test binary act as a holder process: with childEnv set
// it takes the lock named there, says so on stdout and waits to be killed.
func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		host, _ := os.Hostname()
		if _, err := lease.TryAcquire(path, lease.Holder{Host: host, PID: os.Getpid(), Addr: "127.0.0.1:9"}); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("held")
		time.Sleep(time.Minute)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

func TestTryAcquireExcludesAnotherOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job-ingest.lock")
	since := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	first := lease.Holder{Host: "alpha", PID: 4242, Addr: "127.0.0.1:8080", Since: since}
	l, err := lease.TryAcquire(path, first)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lease.TryAcquire(path, lease.Holder{Host: "beta", PID: 7})
	if !errors.Is(err, lease.ErrHeld) {
		t.Fatalf("second TryAcquire: err = %v, want ErrHeld", err)
	}
	for _, want := range []string{"alpha:4242", "127.0.0.1:8080", "2026-03-01T06:00:00Z"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	got, err := lease.ReadHolder(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Host != "alpha" || got.PID != 4242 || got.Addr != "127.0.0.1:8080" || !got.Since.Equal(since) {
		t.Errorf("ReadHolder = %+v, want %+v", got, first)
	}
	l.Release()
	l.Release() // twice is harmless
	if _, err := lease.ReadHolder(path); !errors.Is(err, lease.ErrNotHeld) {
		t.Errorf("ReadHolder after Release: err = %v, want ErrNotHeld", err)
	}
	l2, err := lease.TryAcquire(path, lease.Holder{Host: "beta", PID: 7})
	if err != nil {
		t.Fatalf("TryAcquire after Release: %v", err)
	}
	defer l2.Release()
	if got, _ := lease.ReadHolder(path); got.Host != "beta" || got.PID != 7 || got.Since.IsZero() {
		t.Errorf("ReadHolder = %+v, want beta:7 with a Since", got)
	}
}

func TestReadHolderOfMissingFile(t *testing.T) {
	if _, err := lease.ReadHolder(filepath.Join(t.TempDir(), "none.lock")); !errors.Is(err, lease.ErrNotHeld) {
		t.Errorf("err = %v, want ErrNotHeld", err)
	}
}

func TestAcquireWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lane-warehouse.lock")
	l, err := lease.TryAcquire(path, lease.Holder{Host: "alpha", PID: 1})
	if err != nil {
		t.Fatal(err)
	}
	const hold = 50 * time.Millisecond
	released := make(chan time.Time, 1)
	go func() {
		time.Sleep(hold)
		released <- time.Now()
		l.Release()
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	l2, err := lease.Acquire(ctx, path, lease.Holder{Host: "beta", PID: 2}, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	got := time.Now()
	defer l2.Release()
	if at := <-released; got.Before(at) {
		t.Errorf("Acquire returned at %v, before the release at %v", got, at)
	}

	// A cancelled wait returns the context's error.
	short, cancel2 := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel2()
	if _, err := lease.Acquire(short, path, lease.Holder{Host: "gamma", PID: 3}, 5*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Acquire while held: err = %v, want DeadlineExceeded", err)
	}
}

// TestKilledHolderReleases runs a holder in a child process, kills it with
// SIGKILL and checks the kernel dropped its lock.
func TestKilledHolderReleases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job-report.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case s := <-line:
		if s != "held" {
			t.Fatalf("child said %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("child did not take the lock")
	}

	if _, err := lease.TryAcquire(path, lease.Holder{Host: "parent", PID: os.Getpid()}); !errors.Is(err, lease.ErrHeld) {
		t.Fatalf("TryAcquire while the child holds: err = %v, want ErrHeld", err)
	}
	h, err := lease.ReadHolder(path)
	if err != nil {
		t.Fatal(err)
	}
	if h.PID != cmd.Process.Pid || h.Addr != "127.0.0.1:9" {
		t.Errorf("holder = %+v, want pid %d", h, cmd.Process.Pid)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// The holder line stays in the file, but nobody holds the lock.
	if _, err := lease.ReadHolder(path); !errors.Is(err, lease.ErrNotHeld) {
		t.Errorf("ReadHolder after the kill: err = %v, want ErrNotHeld", err)
	}
	l, err := lease.TryAcquire(path, lease.Holder{Host: "parent", PID: os.Getpid()})
	if err != nil {
		t.Fatalf("TryAcquire after the kill: %v", err)
	}
	l.Release()
}

// A fresh installation has no state folder yet: the lease creates it.
func TestTryAcquireCreatesTheFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "var", "state", "scheduler.lock")
	l, err := lease.TryAcquire(path, lease.Holder{Host: "h", PID: 1})
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
}
