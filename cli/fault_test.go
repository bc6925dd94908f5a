package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/sources/demo"
)

// Fault tests: ClickHouse or the process killed in the middle of the work,
// two processes on one warehouse. Each is bounded in time.

// childArgsEnv makes the test binary run the command line it holds (fields
// separated by \x1f) instead of the tests: a process the tests can kill.
const childArgsEnv = "BASSINS_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childArgsEnv); args != "" {
		os.Exit(Main(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// never is a schedule that does not fire during a test.
const never = "0 0 1 1 *"

// faultConfig is the test configuration with short service periods, the
// schedules that do not fire, and quick retries.
func faultConfig(t *testing.T, dir string) (*config.Config, string) {
	t.Helper()
	path := testConfig(t, dir)
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	for old, repl := range map[string]string{
		"  heartbeat: 15s":      "  heartbeat: 200ms",
		"  lease_check: 5s":     "  lease_check: 200ms",
		"  settle: 2s":          "  settle: 200ms",
		"  watch_inbox: true":   "  watch_inbox: false",
		"  catch_up: true":      "  catch_up: false",
		"  shutdown_grace: 30s": "  shutdown_grace: 10s",
		"    backoff: 1m":       "    backoff: 300ms",
		"    backoff: 10m":      "    backoff: 300ms",
		"    retries: 2":        "    retries: 6",
	} {
		if !strings.Contains(text, old) {
			t.Fatalf("faultConfig: the default configuration has no %q", old)
		}
		text = strings.ReplaceAll(text, old, repl)
	}
	text = regexp.MustCompile(`schedule: "[^"]*"`).ReplaceAllString(text, `schedule: "`+never+`"`)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, path
}

// writeDemo writes a small year of demo deliveries into the inbox.
func writeDemo(t *testing.T, inbox string, scale float64) demo.Summary {
	t.Helper()
	until := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	sum, err := demo.Write(t.Context(), demo.Options{Dir: inbox, Seed: 3, Scale: scale, Until: until, Months: 12})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// copyInbox copies the deliveries with their modification times, which
// order them.
func copyInbox(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, body, 0o644); err != nil {
			return err
		}
		return os.Chtimes(dst, info.ModTime(), info.ModTime())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// publishedValues is the CSV of every value of the latest computation, run
// ids left out.
func publishedValues(t *testing.T, a *app) string {
	t.Helper()
	snap, err := a.snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Values) == 0 {
		t.Fatal("no indicator values")
	}
	var buf bytes.Buffer
	if err := indicators.WriteCSV(&buf, snap.Export(true, nil)); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for line := range strings.Lines(buf.String()) {
		line = strings.TrimRight(line, "\n")
		out.WriteString(line[:strings.LastIndexByte(line, ',')] + "\n")
	}
	return out.String()
}

// serverPID is the pid of the managed server recorded in the data folder.
func serverPID(t *testing.T, cfg *config.Config) int {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(cfg.ClickHouse.DataDir, "server.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscanf(string(body[bytes.Index(body, []byte(`"pid"`)):]), `"pid": %d`, &pid); err != nil || pid == 0 {
		t.Fatalf("no pid in %s: %v", body, err)
	}
	return pid
}

// waitFor polls cond every 50ms until it holds or the time is up.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runsOf returns the runs of a job, newest first.
func runsOf(t *testing.T, wh *warehouse.Warehouse, job string) []warehouse.JobRun {
	t.Helper()
	runs, err := wh.RecentRuns(context.Background(), 1000)
	if err != nil {
		return nil
	}
	var out []warehouse.JobRun
	for _, r := range runs {
		if r.Job == job {
			out = append(out, r)
		}
	}
	return out
}

// serveApp serves a started app on a free port until the test ends; it
// returns the pages' base address.
func serveApp(t *testing.T, a *app, configPath string) (string, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, "127.0.0.1:0", configPath, out) }()
	address := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	var base string
	waitFor(t, 30*time.Second, "serve prints its address", func() bool {
		if m := address.FindStringSubmatch(out.String()); m != nil {
			base = "http://" + m[1]
		}
		return base != ""
	})
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30s")
		}
	}
	t.Cleanup(stop)
	return base, stop
}

// page returns the status and body of a page.
func page(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// ClickHouse is killed during an ingest and during a computation: the
// supervisor starts it again, the runs retry, and the figures are those of a
// clean run; no run is left running and, after the maintenance, no row of a
// load that does not count remains. The pages are back within a minute.
func TestClickHouseKilledDuringIngestAndCompute(t *testing.T) {
	ctx := t.Context()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	logs := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the log of the process whose server was killed:\n%s", logs.String())
		}
	})

	// The figures of a clean run, on a copy of the same deliveries.
	refCfg, _ := faultConfig(t, t.TempDir())
	writeDemo(t, refCfg.Paths.Inbox, 0.3)
	ref, err := start(ctx, refCfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.runJobsOnce(ctx, "ingest", "compute"); err != nil {
		t.Fatal(err)
	}
	want := publishedValues(t, ref)
	wantLoads, err := ref.wh.Loads(ctx, warehouse.LoadFilter{})
	if err != nil {
		t.Fatal(err)
	}
	ref.close()

	cfg, path := faultConfig(t, t.TempDir())
	copyInbox(t, refCfg.Paths.Inbox, cfg.Paths.Inbox)
	a, err := startWith(ctx, cfg, slog.New(slog.NewTextHandler(logs, nil)), startOptions{supervise: true, observe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	base, stop := serveApp(t, a, path)

	// Killed during the ingest, once some deliveries are in.
	ingestDone := make(chan warehouse.JobRun, 1)
	go func() {
		run, _ := a.sched.RunNow(context.Background(), "ingest")
		ingestDone <- run
	}()
	waitFor(t, 60*time.Second, "the ingest records 10 loads", func() bool {
		loads, err := a.wh.Loads(ctx, warehouse.LoadFilter{})
		return err == nil && len(loads) >= 10
	})
	first := serverPID(t, cfg)
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var ingestRun warehouse.JobRun
	select {
	case ingestRun = <-ingestDone:
	case <-time.After(2 * time.Minute):
		t.Fatal("the ingest did not end within 2 minutes of the kill")
	}
	if ingestRun.Status != warehouse.RunOK || ingestRun.Attempt < 2 {
		t.Fatalf("ingest ended %s at attempt %d; want ok after a retry", ingestRun.Status, ingestRun.Attempt)
	}
	if second := serverPID(t, cfg); second == first {
		t.Fatalf("the server killed (pid %d) is still the one recorded", first)
	}

	// Killed during the computation the ingest triggered, once it runs.
	var computing warehouse.JobRun
	waitFor(t, 60*time.Second, "the triggered computation starts", func() bool {
		runs := runsOf(t, a.wh, "compute")
		if len(runs) > 0 && runs[0].Status == warehouse.RunRunning {
			computing = runs[0]
			return true
		}
		return false
	})
	if err := syscall.Kill(serverPID(t, cfg), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var computes []warehouse.JobRun
	status := func(id string) string {
		for _, r := range computes {
			if r.RunID == id {
				return r.Status
			}
		}
		return ""
	}
	waitFor(t, 2*time.Minute, "the computation succeeds after the kill", func() bool {
		computes = runsOf(t, a.wh, "compute")
		return len(computes) > 1 && computes[0].Status == warehouse.RunOK && status(computing.RunID) != warehouse.RunRunning
	})
	if s := status(computing.RunID); s == warehouse.RunOK {
		t.Errorf("the computation running when ClickHouse was killed ended %q; want it failed, then redone: %+v", s, computes)
	}

	// The maintenance deletes what the killed loads left; a second pass
	// finds nothing.
	if _, err := a.sched.RunNow(ctx, "maintenance"); err != nil {
		t.Fatal(err)
	}
	left, err := a.wh.DeleteOrphanRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range left {
		if n != 0 {
			t.Errorf("%d rows of loads that do not count remain in %s after the maintenance", n, table)
		}
	}
	runs, err := a.wh.RecentRuns(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Status == warehouse.RunRunning {
			t.Errorf("run %s of %s is left running", r.RunID, r.Job)
		}
	}
	if got := publishedValues(t, a); got != want {
		t.Errorf("the figures differ from a clean run's:\n%s", firstDifference(got, want))
	}
	loads, err := a.wh.Loads(ctx, warehouse.LoadFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if count(loads, warehouse.StatusLoaded) != count(wantLoads, warehouse.StatusLoaded) {
		t.Errorf("%d deliveries loaded, a clean run loads %d", count(loads, warehouse.StatusLoaded), count(wantLoads, warehouse.StatusLoaded))
	}

	// The pages: served from memory while ClickHouse is down, fresh again
	// within a minute.
	if status, body := page(base + "/"); status != 200 || strings.Contains(body, staleBanner) {
		t.Fatalf("GET / before the kill: %d, banner %v", status, strings.Contains(body, staleBanner))
	}
	if err := syscall.Kill(serverPID(t, cfg), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if status, _ := page(base + "/"); status != 200 {
		t.Errorf("GET / just after the kill: %d, want 200 from the last good figures", status)
	}
	waitFor(t, time.Minute, "the pages are fresh again", func() bool {
		status, body := page(base + "/bassins/nord")
		return status == 200 && !strings.Contains(body, staleBanner) && strings.Contains(body, "Nord")
	})
	t.Logf("pages fresh again %s after the kill", time.Since(killed).Round(time.Millisecond))
	stop()
}

func count(loads []warehouse.Load, status string) int {
	n := 0
	for _, l := range loads {
		if l.Status == status {
			n++
		}
	}
	return n
}

func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\n  got  %s\n  want %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}

// startChild runs a bassins command line in a child process; its standard
// error is kept in the returned buffer.
func startChild(t *testing.T, args ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join(args, "\x1f"))
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, stderr
}

// A process killed with SIGKILL in the middle of an ingest: the next process
// to schedule marks its run interrupted and redoes it, and nothing counts
// twice.
func TestKilledProcessRunIsMarkedInterruptedAndRedone(t *testing.T) {
	ctx := t.Context()
	cfg, path := faultConfig(t, t.TempDir())
	sum := writeDemo(t, cfg.Paths.Inbox, 0.5)

	child, stderr := startChild(t, "run", "ingest", "--config", path)
	waitFor(t, time.Minute, "the child loads 5 files", func() bool {
		return strings.Count(stderr.String(), `msg="file loaded"`) >= 5
	})
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	if strings.Contains(stderr.String(), `msg="ingest done"`) {
		t.Fatal("the child ingest ended before it was killed: give it more files")
	}
	killed := time.Now()

	a, err := startWith(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), startOptions{supervise: true, observe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	// Three heartbeats after the kill, the run is seen as dead.
	time.Sleep(max(0, 3*cfg.Service.Heartbeat-time.Since(killed)) + 100*time.Millisecond)
	_, stop := serveApp(t, a, path)
	var runs []warehouse.JobRun
	deadline := time.Now().Add(2 * time.Minute)
	for runs = runsOf(t, a.wh, "ingest"); len(runs) != 2 || runs[0].Status != warehouse.RunOK; runs = runsOf(t, a.wh, "ingest") {
		if time.Now().After(deadline) {
			t.Fatalf("the interrupted ingest is not redone within 2 minutes: ingest runs %+v", runs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if runs[1].Status != warehouse.RunInterrupted {
		t.Errorf("the killed run is %q, want %q", runs[1].Status, warehouse.RunInterrupted)
	}
	loads, err := a.wh.Loads(ctx, warehouse.LoadFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(loads, warehouse.StatusLoaded); n != sum.Files {
		t.Errorf("%d deliveries loaded, want the %d files written", n, sum.Files)
	}
	for dataset, rows := range map[string]int{"contacts": sum.Rows["contacts"], "treatment_demands": sum.Rows["treatment_demands"]} {
		n, err := a.wh.CountRows(ctx, dataset)
		if err != nil {
			t.Fatal(err)
		}
		if int(n) != rows {
			t.Errorf("%s: %d rows count, want the %d written", dataset, n, rows)
		}
	}
}

// staleBanner is part of the banner of pages served from the last good
// figures while the warehouse is away.
const staleBanner = "est momentanément injoignable"

// Two serve processes on one warehouse: one schedules, the other serves and
// says who schedules; each scheduled run happens once; when the scheduling
// process is killed, the other takes over within a lease period.
func TestTwoServeProcessesScheduleEachRunOnce(t *testing.T) {
	ctx := t.Context()
	cfg, path := faultConfig(t, t.TempDir())
	writeDemo(t, cfg.Paths.Inbox, 0.05)
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// compute every second; the other jobs never.
	text := strings.Replace(string(body), "kind: compute\n    schedule: \""+never+"\"", "kind: compute\n    schedule: \"@every 1s\"", 1)
	if text == string(body) {
		t.Fatal("no compute job to schedule")
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	obs, err := startWith(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), startOptions{supervise: true})
	if err != nil {
		t.Fatal(err)
	}
	defer obs.close()
	if err := obs.runJobsOnce(ctx, "ingest"); err != nil {
		t.Fatal(err)
	}

	first, firstLog := startChild(t, "serve", "--config", path, "--addr", "127.0.0.1:0")
	waitFor(t, time.Minute, "the first process schedules", func() bool { return strings.Contains(firstLog.String(), `msg="job scheduled"`) })
	second, secondLog := startChild(t, "serve", "--config", path, "--addr", "127.0.0.1:0")
	waitFor(t, time.Minute, "the second process says who schedules", func() bool {
		return strings.Contains(secondLog.String(), "another process schedules the jobs")
	})
	if !strings.Contains(secondLog.String(), fmt.Sprintf("pid %d", first.Process.Pid)) {
		t.Errorf("the second process does not name the first (pid %d) as the one scheduling:\n%s", first.Process.Pid, secondLog.String())
	}
	time.Sleep(3 * time.Second)
	firstOwner := fmt.Sprintf(":%d", first.Process.Pid)
	secondOwner := fmt.Sprintf(":%d", second.Process.Pid)
	byOwner := func() (a, b int) {
		for _, r := range runsOf(t, obs.wh, "compute") {
			switch {
			case strings.HasSuffix(r.Owner, firstOwner):
				a++
			case strings.HasSuffix(r.Owner, secondOwner):
				b++
			}
		}
		return a, b
	}
	if a, b := byOwner(); a < 2 || b != 0 {
		t.Fatalf("compute runs: %d by the scheduling process, %d by the other; want 2 or more, and none", a, b)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	killed := time.Now()
	waitFor(t, 10*time.Second, "the second process takes over", func() bool { _, b := byOwner(); return b >= 2 })
	t.Logf("the second process ran its second computation %s after the first was killed", time.Since(killed).Round(time.Millisecond))
	// A run the first process was making is marked interrupted once it
	// has missed three heartbeats (heartbeats are stored to the second).
	waitFor(t, 10*time.Second, "no run of the killed process is left running", func() bool {
		for _, r := range runsOf(t, obs.wh, "compute") {
			if r.Status == warehouse.RunRunning && strings.HasSuffix(r.Owner, firstOwner) {
				return false
			}
		}
		return true
	})
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil {
		t.Errorf("the second process stopped with %v:\n%s", err, secondLog.String())
	}

	// Every scheduled time ran once: no two runs as of the same second,
	// and no two runs at the same time.
	runs := runsOf(t, obs.wh, "compute")
	seen := map[int64]string{}
	for i, r := range runs {
		if other, dup := seen[r.AsOf.Unix()]; dup && r.Status != warehouse.RunInterrupted {
			t.Errorf("runs %s and %s are both as of %s", r.RunID, other, r.AsOf)
		}
		seen[r.AsOf.Unix()] = r.RunID
		if r.Status == warehouse.RunRunning {
			t.Errorf("run %s (owner %s, started %s, heartbeat %s) is left running; the first process was killed at %s; the second process's log:\n%s",
				r.RunID, r.Owner, r.StartedAt, r.HeartbeatAt, killed.Format(time.RFC3339Nano), secondLog.String())
		}
		for _, q := range runs[i+1:] {
			if r.Status == warehouse.RunOK && q.Status == warehouse.RunOK && r.StartedAt.Before(q.FinishedAt) && q.StartedAt.Before(r.FinishedAt) &&
				!r.StartedAt.Equal(q.FinishedAt) && r.FinishedAt.Sub(r.StartedAt) > time.Second {
				t.Errorf("runs %s and %s overlap", r.RunID, q.RunID)
			}
		}
	}
}

// A job run by hand while its scheduled run goes on is refused: one run.
func TestAJobRunByHandWhileItRunsIsRefused(t *testing.T) {
	ctx := t.Context()
	cfg, path := faultConfig(t, t.TempDir())
	writeDemo(t, cfg.Paths.Inbox, 1)
	a, err := startWith(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), startOptions{supervise: true, observe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	a.sched.Trigger("ingest") // in the background, as a scheduled run
	waitFor(t, 30*time.Second, "the ingest runs", func() bool {
		runs := runsOf(t, a.wh, "ingest")
		return len(runs) == 1 && runs[0].Status == warehouse.RunRunning
	})
	var out, errOut bytes.Buffer
	code := Run(ctx, []string{"run", "ingest", "--config", path}, &out, &errOut)
	if code != exitFailed || !strings.Contains(errOut.String(), "bassins run: ingest is running already, nothing done") {
		t.Errorf("run by hand exited %d: %s", code, errOut.String())
	}
	waitFor(t, 2*time.Minute, "the ingest ends", func() bool {
		runs := runsOf(t, a.wh, "ingest")
		return len(runs) > 0 && runs[0].Status != warehouse.RunRunning
	})
	if runs := runsOf(t, a.wh, "ingest"); len(runs) != 1 || runs[0].Status != warehouse.RunOK {
		t.Errorf("ingest runs %+v; want the one scheduled, ok", runs)
	}
}

// SIGTERM lets a running job end within the grace, then cancels it, recorded
// « annulé »; a second signal stops at once.
func TestStopSignals(t *testing.T) {
	for _, tt := range []struct {
		name    string
		signals int
		grace   string
		within  time.Duration
		code    int
	}{
		{"one signal: cancelled after the grace", 1, "500ms", 15 * time.Second, exitFailed},
		{"two signals: at once", 2, "1m", 5 * time.Second, exitFailed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, path := faultConfig(t, t.TempDir())
			writeDemo(t, cfg.Paths.Inbox, 1)
			body, _ := os.ReadFile(path)
			os.WriteFile(path, []byte(strings.Replace(string(body), "  shutdown_grace: 10s", "  shutdown_grace: "+tt.grace, 1)), 0o644)

			child, stderr := startChild(t, "run", "ingest", "--config", path)
			waitFor(t, time.Minute, "the child loads 3 files", func() bool {
				return strings.Count(stderr.String(), `msg="file loaded"`) >= 3
			})
			signalled := time.Now()
			for range tt.signals {
				if err := child.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			done := make(chan error, 1)
			go func() { done <- child.Wait() }()
			select {
			case err := <-done:
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != tt.code {
					t.Errorf("the child ended with %v, want exit status %d", err, tt.code)
				}
			case <-time.After(tt.within):
				t.Fatalf("the child still runs %s after the signal:\n%s", tt.within, stderr.String())
			}
			took := time.Since(signalled)
			if strings.Contains(stderr.String(), `msg="ingest done"`) {
				t.Fatal("the ingest ended before the signal took effect: give it more files")
			}
			t.Logf("stopped %s after the signal", took.Round(time.Millisecond))
			if tt.signals == 1 {
				if !strings.Contains(stderr.String(), `msg="job cancelled"`) {
					t.Errorf("the run is not recorded cancelled:\n%s", stderr.String())
				}
				a, err := start(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
				if err != nil {
					t.Fatal(err)
				}
				defer a.close()
				if runs := runsOf(t, a.wh, "ingest"); len(runs) != 1 || runs[0].Status != warehouse.RunCancelled {
					t.Errorf("ingest runs %+v, want one cancelled", runs)
				}
			}
		})
	}
}
