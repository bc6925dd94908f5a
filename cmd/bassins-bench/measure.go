package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/brusano/bassins/pipeline/warehouse"
)

// measurement is what one load cost.
type measurement struct {
	elapsed time.Duration
	// cpu is the user and system time of the loading process.
	cpu time.Duration
	// serverCPU is the user and system time of clickhouse-server during
	// the load, when serverKnown.
	serverCPU   time.Duration
	serverKnown bool
	// peakRSS is the loading process's peak resident set, in bytes, when
	// peakKnown.
	peakRSS   int64
	peakKnown bool

	// Go runtime figures, for the pipeline only.
	heapSysDelta int64
	totalAlloc   uint64
	gcCycles     uint32
}

// report is everything the benchmark prints.
type report struct {
	chunk   int
	version string
	sizes   []sizeReport
}

// sizeReport is what loading one file size cost, both ways.
type sizeReport struct {
	rows     int
	csvBytes int64
	version  string
	generate time.Duration
	pipeline measurement
	client   measurement
}

// total returns the CPU time of the loading process and of the server.
func (m measurement) total() time.Duration { return m.cpu + m.serverCPU }

func writeReport(w io.Writer, r report) {
	fmt.Fprintf(w, "bassins bench: contacts loaded by the pipeline (bassins ingest) and by clickhouse-client … FORMAT CSV\n")
	fmt.Fprintf(w, "ClickHouse %s, %d CPUs; pipeline blocks of %s rows\n\n", r.version, runtime.NumCPU(), thousands(int64(r.chunk)))
	const label, group = "%-28s", "%11s %11s %7s   "
	line := func(name string, cell func(s sizeReport) [3]string) {
		b := fmt.Sprintf(label, name)
		for _, s := range r.sizes {
			c := cell(s)
			b += fmt.Sprintf(group, c[0], c[1], c[2])
		}
		fmt.Fprintln(w, strings.TrimRight(b, " "))
	}
	head := fmt.Sprintf(label, "")
	for _, s := range r.sizes {
		head += fmt.Sprintf("%-34s", fmt.Sprintf("   %s rows, CSV %s", thousands(int64(s.rows)), mebibytes(s.csvBytes)))
	}
	fmt.Fprintln(w, strings.TrimRight(head, " "))
	line("", func(sizeReport) [3]string { return [3]string{"pipeline", "client", "ratio"} })
	seconds := func(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
	ratio := func(a, b time.Duration) string { return fmt.Sprintf("%.2fx", a.Seconds()/b.Seconds()) }
	line("wall time", func(s sizeReport) [3]string {
		return [3]string{seconds(s.pipeline.elapsed), seconds(s.client.elapsed), ratio(s.pipeline.elapsed, s.client.elapsed)}
	})
	line("CPU, process + server", func(s sizeReport) [3]string {
		p, c := s.pipeline, s.client
		if !p.serverKnown || !c.serverKnown {
			return [3]string{"n/a", "n/a", "n/a"}
		}
		return [3]string{seconds(p.total()), seconds(c.total()), ratio(p.total(), c.total())}
	})
	line("  loading process", func(s sizeReport) [3]string {
		return [3]string{seconds(s.pipeline.cpu), seconds(s.client.cpu), ""}
	})
	line("  clickhouse-server", func(s sizeReport) [3]string {
		return [3]string{orNA(s.pipeline.serverKnown, seconds(s.pipeline.serverCPU)),
			orNA(s.client.serverKnown, seconds(s.client.serverCPU)), ""}
	})
	line("peak RSS, loading process", func(s sizeReport) [3]string {
		return [3]string{orNA(s.pipeline.peakKnown, mebibytes(s.pipeline.peakRSS)), orNA(s.client.peakKnown, mebibytes(s.client.peakRSS)), ""}
	})
	line("rows per second", func(s sizeReport) [3]string {
		return [3]string{thousands(int64(float64(s.rows) / s.pipeline.elapsed.Seconds())),
			thousands(int64(float64(s.rows) / s.client.elapsed.Seconds())), ""}
	})
	fmt.Fprintln(w)
	for _, s := range r.sizes {
		p := s.pipeline
		fmt.Fprintf(w, "%s rows: generated in %.2f s; pipeline Go heap: HeapSys %+.1f MiB, TotalAlloc %s (%s bytes/row), %d GC cycles\n",
			thousands(int64(s.rows)), s.generate.Seconds(), float64(p.heapSysDelta)/(1<<20), mebibytes(int64(p.totalAlloc)),
			thousands(int64(p.totalAlloc)/int64(s.rows)), p.gcCycles)
	}
	fmt.Fprintf(w, "rows: synthetic contacts, seed %d, 36 months to %s; ratio: pipeline/client\n", seed, until.Format("2006-01"))
	fmt.Fprintln(w, "loading process: bassins-bench running the ingest job, resp. clickhouse-client;")
	fmt.Fprintln(w, "CPU: user + system time of the loading process and of clickhouse-server during the load;")
	fmt.Fprintln(w, "peak RSS: VmHWM of the loading process, server excluded")
}

func orNA(known bool, s string) string {
	if !known {
		return "n/a"
	}
	return s
}

// thousands writes n with a comma between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func mebibytes(n int64) string {
	mib := float64(n) / (1 << 20)
	if mib >= 100 {
		return fmt.Sprintf("%.0f MiB", mib)
	}
	return fmt.Sprintf("%.1f MiB", mib)
}

// resetPeakRSS resets the process's VmHWM to its current RSS (Linux 4.0+).
func resetPeakRSS() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// vmHWM returns the VmHWM of a process (0: this one) in bytes.
func vmHWM(pid int) (int64, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	status, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", rest, err)
			}
			return kib * 1024, nil
		}
	}
	return 0, errors.New("no VmHWM in " + path)
}

// selfCPU returns the user and system time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// processCPU returns the user and system time of another process, from
// /proc/PID/stat.
func processCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis, where state is the first (field 3).
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(fields[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// clickHouseClient runs clickhouse-client against the managed server. Every
// query it runs is a constant of this program.
type clickHouseClient struct {
	binary string
	args   []string // before the connection flags, e.g. "client" for the single binary
	port   int
	// user and password log in to the managed server.
	user, password string
}

func newClickHouseClient(port int) (*clickHouseClient, error) {
	if path, err := exec.LookPath("clickhouse-client"); err == nil {
		return &clickHouseClient{binary: path, port: port}, nil
	}
	if _, err := os.Stat("/usr/bin/clickhouse-client"); err == nil {
		return &clickHouseClient{binary: "/usr/bin/clickhouse-client", port: port}, nil
	}
	if path, err := exec.LookPath("clickhouse"); err == nil {
		return &clickHouseClient{binary: path, args: []string{"client"}, port: port}, nil
	}
	return nil, errors.New("clickhouse-client not found (Debian package clickhouse-client)")
}

// query runs one statement and returns its output.
func (c *clickHouseClient) query(ctx context.Context, query string) (string, error) {
	var out bytes.Buffer
	if _, err := c.exec(ctx, nil, &out, query); err != nil {
		return "", err
	}
	return out.String(), nil
}

// run runs one statement with stdin as its input data and returns what the
// client cost.
func (c *clickHouseClient) run(ctx context.Context, stdin *os.File, query string, settings ...string) (*clientRun, error) {
	return c.exec(ctx, stdin, io.Discard, query, settings...)
}

func (c *clickHouseClient) exec(ctx context.Context, stdin io.Reader, stdout io.Writer, query string, settings ...string) (*clientRun, error) {
	args := append([]string{}, c.args...)
	args = append(args, "--host", "127.0.0.1", "--port", strconv.Itoa(c.port), "--user", c.user, "--password", c.password)
	args = append(args, settings...)
	args = append(args, "--query", query)
	cmd := exec.CommandContext(ctx, c.binary, args...)
	cmd.Stdin = stdin
	cmd.Stdout = stdout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("clickhouse-client: %w", err)
	}
	// The rusage maxrss of a child started by Go is not its own: the
	// child shares the parent's memory until exec, and Linux carries that
	// high-water mark over. Sample the child's VmHWM instead.
	done := make(chan struct{})
	sampled := make(chan int64)
	go func() {
		var peak int64
		ticker := time.NewTicker(20 * time.Millisecond)
		defer ticker.Stop()
		for {
			if hwm, err := vmHWM(cmd.Process.Pid); err == nil {
				peak = max(peak, hwm)
			}
			select {
			case <-done:
				sampled <- peak
				return
			case <-ticker.C:
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	peak := <-sampled
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "…"
		}
		return nil, fmt.Errorf("clickhouse-client: %s: %w: %s", firstWords(query), err, msg)
	}
	return &clientRun{state: cmd.ProcessState, peakRSS: peak}, nil
}

// clientRun is what a finished clickhouse-client cost.
type clientRun struct {
	state *os.ProcessState
	// peakRSS is the highest VmHWM sampled, in bytes; 0 when none was.
	peakRSS int64
}

// firstWords shortens a statement for an error message.
func firstWords(query string) string {
	words := strings.Fields(query)
	if len(words) > 4 {
		words = append(words[:4], "…")
	}
	return strings.Join(words, " ")
}

// waitForMerges waits for the server's background merges to end, up to
// mergeWait, so that a load is not billed for the previous one's merges.
func waitForMerges(ctx context.Context, c *clickHouseClient) error {
	deadline := time.Now().Add(mergeWait)
	for {
		out, err := c.query(ctx, warehouse.BenchCountMerges)
		if err != nil {
			return err
		}
		if strings.TrimSpace(out) == "0" || time.Now().After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
