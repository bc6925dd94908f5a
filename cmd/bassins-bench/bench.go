package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/ingest"
	"github.com/brusano/bassins/pipeline/privacy"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/managed"
	"github.com/brusano/bassins/sources"
	"github.com/brusano/bassins/sources/demo"
)

// options are the command-line flags.
type options struct {
	rows       []int // file sizes, loaded in turn
	chunk      int
	dir        string
	keep       bool
	cpuProfile string
	// bassins is the product binary the freshness measure runs; empty
	// skips that measure.
	bassins string
	// sections are the measures to make: load, catalogue, freshness.
	sections map[string]bool
	// catalogueContacts and catalogueDemands are the volumes the
	// catalogue measure computes from.
	catalogueContacts, catalogueDemands int
	// profileQueries computes the catalogue a second time, polling the
	// server's running statements.
	profileQueries bool
}

const (
	// database is created for the benchmark and dropped at its start, never
	// the product's own.
	database = "bassins_bench"
	// secret keys the pseudonymisation of the benchmark's synthetic persons.
	secret = "bench-secret-0123456789"
	// seed and until fix the generated contacts, so runs compare.
	seed = 1
	// mergeWait bounds the wait for the server's background merges to end
	// before each load, so that one load's merges are not billed to the next.
	mergeWait = 2 * time.Minute
)

var until = time.Date(2025, time.December, 1, 0, 0, 0, 0, time.UTC)

// contactsSpec is the source declaration the pipeline loads the file with,
// as an operator would write it in the configuration.
func contactsSpec() sources.Spec {
	return sources.Spec{
		Name:      "bench-contacts",
		Path:      "bench/*.csv",
		Format:    "csv",
		Dataset:   "contacts",
		Delimiter: ";",
		Fields: sources.Columns(map[string]string{
			"contact_date":         "date",
			"contact_time":         "time",
			"team":                 "team",
			"place_type":           "place_type",
			"postcode":             "postcode",
			"person_key":           "person",
			"poles":                "poles",
			"referral":             "referral",
			"referral_destination": "referral_destination",
			"syringes":             "syringes",
			"kits":                 "kits",
			"naloxone":             "naloxone",
		}),
	}
}

// bench runs the whole benchmark and writes the report to stdout.
func bench(ctx context.Context, opts options, stdout, stderr io.Writer) (err error) {
	progress := func(format string, args ...any) {
		fmt.Fprintf(stderr, "bassins-bench: "+format+"\n", args...)
	}
	spec := contactsSpec()
	if problems := spec.Validate(); len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Path + ": " + p.Message
		}
		return fmt.Errorf("source declaration: %s", strings.Join(msgs, "; "))
	}

	dir := opts.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "bassins-bench-"); err != nil {
			return fmt.Errorf("work folder: %w", err)
		}
		if opts.keep {
			defer progress("work folder kept: %s", dir)
		} else {
			defer os.RemoveAll(dir)
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return fmt.Errorf("work folder: %w", err)
	}

	progress("starting ClickHouse in %s", filepath.Join(dir, "clickhouse"))
	// The bench's own server gets a password of its own, like every
	// managed server.
	password, err := managed.LoadOrCreatePassword(filepath.Join(dir, "clickhouse.password"))
	if err != nil {
		return err
	}
	srv, err := managed.Start(ctx, managed.Options{DataDir: filepath.Join(dir, "clickhouse"), Password: password})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := srv.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if srv.Reused() {
		progress("warning: a ClickHouse server was already running on this folder; its other work skews the figures")
	}
	client, err := newClickHouseClient(srv.TCPPort())
	if client != nil {
		client.user, client.password = srv.User(), srv.Password()
	}
	if err != nil {
		return err
	}
	geo, err := geography.Load(geography.Files{})
	if err != nil {
		return err
	}
	if opts.sections["load"] {
		r := report{chunk: opts.chunk}
		for _, rows := range opts.rows {
			m, err := benchSize(ctx, srv, client, geo, spec, dir, rows, opts, progress)
			if err != nil {
				return err
			}
			r.version = m.version
			r.sizes = append(r.sizes, m)
		}
		writeReport(stdout, r)
	}
	if opts.sections["catalogue"] {
		c, err := measureCatalogue(ctx, srv, client, geo, dir, opts.catalogueContacts, opts.catalogueDemands,
			opts.profileQueries, progress)
		if err != nil {
			return err
		}
		printCatalogue(stdout, c)
	}
	if opts.sections["freshness"] && opts.bassins != "" {
		f, err := measureFreshness(ctx, opts.bassins, dir, progress)
		if err != nil {
			return err
		}
		printFreshness(stdout, f)
	}
	return nil
}

// openEmpty drops the benchmark's database, then opens it migrated, with
// the geography saved.
func openEmpty(ctx context.Context, srv *managed.Server, client *clickHouseClient, geo *geography.Geography) (*warehouse.Warehouse, uint64, error) {
	if _, err := client.query(ctx, warehouse.BenchDropDatabase); err != nil {
		return nil, 0, err
	}
	wh, err := warehouse.Open(ctx, warehouse.Options{Addr: srv.Addr(), Database: database, User: srv.User(), Password: srv.Password()})
	if err != nil {
		return nil, 0, err
	}
	if _, err := wh.Migrate(ctx); err != nil {
		wh.Close()
		return nil, 0, err
	}
	geoVersion, err := wh.SaveGeography(ctx, geo)
	if err != nil {
		wh.Close()
		return nil, 0, err
	}
	return wh, geoVersion, nil
}

// benchSize loads a file of rows contacts both ways, on an empty database.
func benchSize(ctx context.Context, srv *managed.Server, client *clickHouseClient, geo *geography.Geography,
	spec sources.Spec, dir string, rows int, opts options, progress func(string, ...any)) (size sizeReport, err error) {
	size.rows = rows
	// A kept --dir, or the size before, holds loads the pipeline would skip
	// as already loaded: start from an empty database.
	wh, geoVersion, err := openEmpty(ctx, srv, client, geo)
	if err != nil {
		return size, err
	}
	// The server waits for open connections when it stops: close first.
	defer wh.Close()
	if size.version, err = wh.ServerVersion(); err != nil {
		return size, err
	}
	progress("ClickHouse %s at %s (pid %d), geography version %d", size.version, srv.Addr(), srv.PID(), geoVersion)

	csvPath := filepath.Join(dir, "inbox", "bench", "contacts.csv")
	progress("writing %s contact rows to %s", thousands(int64(rows)), csvPath)
	if size.generate, size.csvBytes, err = writeContacts(csvPath, rows); err != nil {
		return size, err
	}
	defer os.Remove(csvPath)

	if err := waitForMerges(ctx, client); err != nil {
		return size, err
	}
	progress("loading %s rows with the pipeline (chunks of %s rows)", thousands(int64(rows)), thousands(int64(opts.chunk)))
	if size.pipeline, err = loadPipeline(ctx, wh, geo, spec, dir, srv.PID(), rows, opts); err != nil {
		return size, err
	}
	loaded, err := wh.CountRows(ctx, "contacts")
	if err != nil {
		return size, err
	}
	if loaded != uint64(rows) {
		return size, fmt.Errorf("pipeline: the contacts table holds %d rows, want %d", loaded, rows)
	}

	if err := waitForMerges(ctx, client); err != nil {
		return size, err
	}
	progress("loading %s rows with clickhouse-client", thousands(int64(rows)))
	if size.client, err = loadReference(ctx, client, csvPath, srv.PID()); err != nil {
		return size, err
	}
	out, err := client.query(ctx, warehouse.BenchCountReference)
	if err != nil {
		return size, err
	}
	if got := strings.TrimSpace(out); got != fmt.Sprint(rows) {
		return size, fmt.Errorf("clickhouse-client: the reference table holds %s rows, want %d", got, rows)
	}

	pipeSummary, err := client.query(ctx, warehouse.BenchSummarisePipeline)
	if err != nil {
		return size, err
	}
	refSummary, err := client.query(ctx, warehouse.BenchSummariseReference)
	if err != nil {
		return size, err
	}
	if pipeSummary != refSummary {
		return size, fmt.Errorf("the two tables differ: count, dates, sums and postcodes are %q in the pipeline's, %q in the reference",
			strings.TrimSpace(pipeSummary), strings.TrimSpace(refSummary))
	}
	return size, nil
}

// writeContacts writes the benchmark's contacts file and returns how long it
// took and its size.
func writeContacts(path string, rows int) (time.Duration, int64, error) {
	start := time.Now()
	if err := writeBuffered(path, func(w io.Writer) error {
		return demo.WriteContactsCSV(w, rows, seed, until)
	}); err != nil {
		return 0, 0, fmt.Errorf("generate: %w", err)
	}
	elapsed := time.Since(start)
	info, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("generate: %w", err)
	}
	return elapsed, info.Size(), nil
}

// writeBuffered writes a file, and the folders it lies in, through a 1 MiB
// buffer: body writes its content.
func writeBuffered(path string, body func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = body(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// loadPipeline loads the inbox with the ingest job and measures it.
func loadPipeline(ctx context.Context, wh *warehouse.Warehouse, geo *geography.Geography, spec sources.Spec,
	dir string, serverPID int, rows int, opts options) (measurement, error) {
	pseudonymiser, err := privacy.New([]byte(secret))
	if err != nil {
		return measurement{}, err
	}
	job := ingest.New(ingest.Options{
		Warehouse:     wh,
		Sources:       []sources.Spec{spec},
		Inbox:         filepath.Join(dir, "inbox"),
		StateDir:      filepath.Join(dir, "state"),
		Pseudonymiser: pseudonymiser,
		Geography:     geo,
		ChunkRows:     opts.chunk,
	})

	var m measurement
	// The peak RSS is the process's high-water mark, which would otherwise
	// include the generation of the file and the loads before: the memory
	// they freed is given back first.
	debug.FreeOSMemory()
	m.peakKnown = resetPeakRSS() == nil
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if opts.cpuProfile != "" {
		name := opts.cpuProfile
		if len(opts.rows) > 1 {
			name += "." + strconv.Itoa(rows)
		}
		f, err := os.Create(name)
		if err != nil {
			return m, fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return m, fmt.Errorf("cpu profile: %w", err)
		}
	}
	serverBefore, serverErr := processCPU(serverPID)
	cpuBefore := selfCPU()
	start := time.Now()

	res, err := job.Run(ctx, time.Now(), "bench")

	m.elapsed = time.Since(start)
	m.cpu = selfCPU() - cpuBefore
	serverAfter, serverErr2 := processCPU(serverPID)
	if opts.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	runtime.ReadMemStats(&after)
	if m.peakKnown {
		var rssErr error
		m.peakRSS, rssErr = vmHWM(0)
		m.peakKnown = rssErr == nil
	}
	if err != nil {
		return m, fmt.Errorf("pipeline: %w", err)
	}
	if res.Loaded != 1 || res.Rows != uint64(rows) {
		return m, fmt.Errorf("pipeline: loaded %d files and %d rows, want 1 file and %d rows (skipped %d, rejected %d)",
			res.Loaded, res.Rows, rows, res.Skipped, res.Refused)
	}
	m.serverCPU, m.serverKnown = serverAfter-serverBefore, errors.Join(serverErr, serverErr2) == nil
	m.heapSysDelta = int64(after.HeapSys) - int64(before.HeapSys)
	m.totalAlloc = after.TotalAlloc - before.TotalAlloc
	m.gcCycles = after.NumGC - before.NumGC
	return m, nil
}

// loadReference loads the file with clickhouse-client, reading it on its
// standard input, and measures it.
func loadReference(ctx context.Context, client *clickHouseClient, csvPath string, serverPID int) (measurement, error) {
	if _, err := client.query(ctx, warehouse.BenchCreateReference); err != nil {
		return measurement{}, err
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return measurement{}, fmt.Errorf("clickhouse-client: %w", err)
	}
	defer f.Close()

	var m measurement
	serverBefore, serverErr := processCPU(serverPID)
	start := time.Now()
	run, err := client.run(ctx, f, warehouse.BenchInsertReference, "--format_csv_delimiter=;")
	m.elapsed = time.Since(start)
	serverAfter, serverErr2 := processCPU(serverPID)
	if err != nil {
		return m, err
	}
	m.cpu = run.state.UserTime() + run.state.SystemTime()
	m.peakRSS, m.peakKnown = run.peakRSS, run.peakRSS > 0
	m.serverCPU, m.serverKnown = serverAfter-serverBefore, errors.Join(serverErr, serverErr2) == nil
	return m, nil
}
