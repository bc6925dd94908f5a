package scheduler_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/lease"
	"github.com/brusano/bassins/pipeline/scheduler"
	"github.com/brusano/bassins/pipeline/warehouse"
)

const childEnv = "SCHEDULER_TEST_LOCK_DIR"

// TestMain lets the test binary be another process running the job
// "ingest" through a FileLocker on the folder named by childEnv: it says
// "running" once inside the job, which never ends.
func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		s, err := scheduler.New(scheduler.Options{
			Locks: scheduler.FileLocker(dir, lease.Holder{Host: "child", PID: os.Getpid()}),
			Jobs: []scheduler.Job{{Name: "ingest", Schedule: "@daily", Lane: "warehouse",
				Run: func(context.Context, time.Time, string) (scheduler.Outcome, error) {
					fmt.Println("running")
					time.Sleep(time.Minute)
					return scheduler.Outcome{}, nil
				}}},
		})
		if err == nil {
			_, err = s.RunNow(context.Background(), "ingest")
		}
		fmt.Println("error:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// Two schedulers on one lock folder, both asked for the same job at once:
// it runs once, and the refusal names the holder.
func TestFileLockerRunsAJobOnce(t *testing.T) {
	dir := t.TempDir()
	var runs atomic.Int32
	inside := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	job := func(context.Context, time.Time, string) (scheduler.Outcome, error) {
		runs.Add(1)
		once.Do(func() { close(inside) })
		<-release
		return scheduler.Outcome{}, nil
	}
	mk := func(host string) *scheduler.Scheduler {
		return newScheduler(t, scheduler.Options{
			Locks: scheduler.FileLocker(dir, lease.Holder{Host: host, PID: 100, Addr: host + ":8080"}),
			Jobs:  []scheduler.Job{{Name: "report", Schedule: "0 6 1 * *", Run: job}},
		})
	}
	a, b := mk("alpha"), mk("beta")

	type result struct {
		host string
		run  warehouse.JobRun
		err  error
	}
	results := make(chan result, 2)
	var wg sync.WaitGroup
	for host, s := range map[string]*scheduler.Scheduler{"alpha": a, "beta": b} {
		wg.Go(func() {
			run, err := s.RunNow(t.Context(), "report")
			results <- result{host, run, err}
		})
	}
	<-inside
	refused := recv(t, results, "the refused run")
	if !errors.Is(refused.err, scheduler.ErrBusy) {
		t.Fatalf("%s: %v, want ErrBusy", refused.host, refused.err)
	}
	holder := map[string]string{"alpha": "beta", "beta": "alpha"}[refused.host]
	if !strings.Contains(refused.err.Error(), holder+":100") || !strings.Contains(refused.err.Error(), holder+":8080") {
		t.Errorf("refusal %q does not name the holder %s", refused.err, holder)
	}
	close(release)
	wg.Wait()
	ran := <-results
	if ran.err != nil || ran.run.Status != warehouse.RunOK || ran.host != holder {
		t.Errorf("%s: %+v %v", ran.host, ran.run, ran.err)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("the job ran %d times, want once", n)
	}
	// Once ended, the other scheduler may run it.
	if _, err := b.RunNow(t.Context(), "report"); err != nil || runs.Load() != 2 {
		t.Errorf("after the first run: %v", err)
	}
}

// Lanes hold across schedulers sharing a lock folder.
func TestFileLockerLanes(t *testing.T) {
	dir := t.TempDir()
	iv := &intervals{}
	var ss []*scheduler.Scheduler
	for i, host := range []string{"alpha", "beta"} {
		ss = append(ss, newScheduler(t, scheduler.Options{
			Locks: scheduler.FileLocker(dir, lease.Holder{Host: host, PID: i}),
			Jobs: []scheduler.Job{
				{Name: "ingest-" + host, Schedule: "@daily", Lane: "warehouse", Run: iv.job("ingest-"+host, 20*time.Millisecond)},
				{Name: "compute-" + host, Schedule: "@daily", Lane: "warehouse", Run: iv.job("compute-"+host, 20*time.Millisecond)},
			},
		}))
	}
	var wg sync.WaitGroup
	for i, host := range []string{"alpha", "beta"} {
		for _, job := range []string{"ingest-", "compute-"} {
			wg.Go(func() {
				if _, err := ss[i].RunNow(t.Context(), job+host); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	iv.checkNoOverlap(t, 4)
}

// A job running in another process is busy; once that process is killed,
// the kernel has dropped its locks and the job runs here.
func TestFileLockerAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
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
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(l)
	}()
	if l := recv(t, line, "the child's run"); l != "running" {
		t.Fatalf("child: %q", l)
	}

	rec := &memRecorder{}
	s := newScheduler(t, scheduler.Options{Recorder: rec,
		Locks: scheduler.FileLocker(dir, lease.Holder{Host: "parent", PID: os.Getpid()}),
		Jobs: []scheduler.Job{
			{Name: "ingest", Schedule: "@daily", Run: noop, Lane: "warehouse"},
			{Name: "compute", Schedule: "@daily", Run: noop, Lane: "warehouse"},
		}})
	_, err = s.RunNow(t.Context(), "ingest")
	if !errors.Is(err, scheduler.ErrBusy) || !strings.Contains(err.Error(), fmt.Sprintf("child:%d", cmd.Process.Pid)) {
		t.Fatalf("RunNow while the child runs it: %v, want ErrBusy naming child:%d", err, cmd.Process.Pid)
	}
	// compute waits for the lane the child holds.
	short, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if run, err := s.RunNow(short, "compute"); !errors.Is(err, context.DeadlineExceeded) || run.Status != warehouse.RunCancelled {
		t.Errorf("compute while the lane is held elsewhere: %s, %v; want cancelled waiting", run.Status, err)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for _, job := range []string{"ingest", "compute"} {
		if run, err := s.RunNow(t.Context(), job); err != nil || run.Status != warehouse.RunOK {
			t.Errorf("%s after the child was killed: %s, %v", job, run.Status, err)
		}
	}
}
