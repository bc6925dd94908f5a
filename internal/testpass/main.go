// Command testpass summarises one pass of `go test -json` for `make test`:
// it prints what plain `go test` prints (a line per package, the output of
// failed tests and packages), then the ClickHouse engine and version the
// warehouse tests ran on (announced by package warehousetest) and the number
// of tests run, passed, failed and skipped.
//
//	go test -json ./... | go run ./internal/testpass -engine clickhouse-server
//
// It exits 1 when a test or package failed, or when a warehouse test ran on
// an engine whose description lacks the -engine text.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
)

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// summary is what the pass did so far.
type summary struct {
	out     io.Writer
	started time.Time
	// output buffers each running test's lines, and each package's own,
	// until their outcome is known; key "" is the package itself.
	output                     map[string]map[string][]string
	engines                    []string
	run, passed, failed, skips int
	failedPackages             int
}

func main() {
	engine := flag.String("engine", "", "text every announced engine must contain, e.g. libchdb")
	flag.Parse()
	s := &summary{out: os.Stdout, started: time.Now(), output: map[string]map[string][]string{}}
	if err := s.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testpass:", err)
		os.Exit(1)
	}
	if !s.report(*engine) {
		os.Exit(1)
	}
}

// read consumes the events; a line that is not an event is printed as is
// (e.g. a build error on standard error merged into the pipe).
func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintln(s.out, string(line))
			continue
		}
		s.handle(e)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read go test output: %w", err)
	}
	return nil
}

func (s *summary) handle(e event) {
	if e.Package == "" {
		if e.Action == "build-output" {
			fmt.Fprint(s.out, e.Output)
		}
		return
	}
	pkg := s.output[e.Package]
	if pkg == nil {
		pkg = map[string][]string{}
		s.output[e.Package] = pkg
	}
	switch e.Action {
	case "run":
		if e.Test != "" {
			s.run++
		}
	case "output":
		// The announcement comes during the test that first opened a
		// warehouse, and is attributed to it.
		if engine, ok := strings.CutPrefix(e.Output, warehousetest.AnnouncePrefix); ok {
			if engine = strings.TrimSpace(engine); !slices.Contains(s.engines, engine) {
				s.engines = append(s.engines, engine)
			}
			return
		}
		pkg[e.Test] = append(pkg[e.Test], e.Output)
	case "pass", "skip":
		if e.Test == "" {
			s.endPackage(e)
			return
		}
		if e.Action == "pass" {
			s.passed++
		} else {
			s.skips++
		}
		delete(pkg, e.Test)
	case "fail":
		if e.Test == "" {
			s.endPackage(e)
			return
		}
		s.failed++
		// A failed subtest's lines are printed with its parent's.
		if !strings.Contains(e.Test, "/") {
			s.flush(pkg, e.Test)
		}
	}
}

// flush prints the buffered output of a test and of its subtests.
func (s *summary) flush(pkg map[string][]string, test string) {
	names := make([]string, 0, len(pkg))
	for name := range pkg {
		if name == test || strings.HasPrefix(name, test+"/") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprint(s.out, strings.Join(pkg[name], ""))
		delete(pkg, name)
	}
}

// endPackage prints the package's line as plain `go test` does, with its own
// output (and any test left unfinished, as after a panic) when it failed.
func (s *summary) endPackage(e event) {
	pkg := s.output[e.Package]
	delete(s.output, e.Package)
	switch {
	case e.Action == "fail":
		s.failedPackages++
		tests := make([]string, 0, len(pkg))
		for name := range pkg {
			if name != "" {
				tests = append(tests, name)
			}
		}
		slices.Sort(tests)
		for _, name := range tests {
			fmt.Fprint(s.out, strings.Join(pkg[name], ""))
		}
		fmt.Fprint(s.out, strings.Join(pkg[""], ""))
		if !endsWithResult(pkg[""], e.Package) {
			fmt.Fprintf(s.out, "FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
		}
	case e.Action == "skip" || slices.ContainsFunc(pkg[""], func(l string) bool { return strings.Contains(l, "[no test files]") }):
		fmt.Fprintf(s.out, "?   \t%s\t[no test files]\n", e.Package)
	default:
		fmt.Fprintf(s.out, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
	}
}

// endsWithResult reports whether the package's output already ends with its
// FAIL line (test2json passes it through).
func endsWithResult(lines []string, pkg string) bool {
	return len(lines) > 0 && strings.HasPrefix(lines[len(lines)-1], "FAIL\t"+pkg)
}

// report prints the closing lines and reports whether the pass succeeded.
func (s *summary) report(engine string) bool {
	ok := s.failed == 0 && s.failedPackages == 0
	engines := "no engine announced (no test opened a warehouse)"
	if len(s.engines) > 0 {
		engines = strings.Join(s.engines, "; ")
	}
	fmt.Fprintf(s.out, "\ntests on %s: %d tests run (subtests included) in %s\n",
		engines, s.run, time.Since(s.started).Round(time.Second))
	if engine != "" {
		if len(s.engines) == 0 {
			fmt.Fprintf(s.out, "testpass: no warehouse test ran, expected them on %s\n", engine)
			ok = false
		}
		for _, got := range s.engines {
			if !strings.Contains(got, engine) {
				fmt.Fprintf(s.out, "testpass: warehouse tests ran on %s, expected %s\n", got, engine)
				ok = false
			}
		}
	}
	// The plain closing line, read by CI.
	fmt.Fprintf(s.out, "%d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skips)
	return ok
}
