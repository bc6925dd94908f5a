package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/compute"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/ingest"
	"github.com/brusano/bassins/pipeline/privacy"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/managed"
	"github.com/brusano/bassins/sources"
	"github.com/brusano/bassins/sources/demo"
)

const (
	// catalogueTarget is the longest computing the whole default catalogue
	// may take (issue: 5 years, 10,000,000 contacts, 500,000 demands).
	catalogueTarget = 5 * time.Second
	// catalogueMonths of data, ending with until.
	catalogueMonths = 60
	// catalogueRun is the run id of the timed computation; profileRun that
	// of the profiled one.
	catalogueRun = "bench-catalogue"
	profileRun   = "bench-profile"
	// profilePoll is how often the profile reads the running statements.
	profilePoll = 25 * time.Millisecond
)

// catalogueResult is what the catalogue measure found.
type catalogueResult struct {
	contacts, demands, services, activity uint64
	loadFiles                             int
	generate, load                        time.Duration
	// The first computation, which builds every load's partials, and the
	// delivery of one more month before the timed one.
	firstTotal, firstWarehouse time.Duration
	nextRows                   uint64
	nextLoad                   time.Duration
	indicators, cells, values  int
	// From the compute job's log line: Gather (warehouse), Derive (Go) and
	// SaveIndicatorValues (store).
	total, warehouse, derive, suppress, store time.Duration
	slowest                                   string
	// CPU of this process and of clickhouse-server during the run.
	cpu, serverCPU      time.Duration
	cpuKnown, peakKnown bool
	peakRSS             int64
	totalAlloc          uint64
	profile             []queryProfile
	profileTotal        time.Duration
	seen                int
	// loadAverage is the machine's before the run, from /proc/loadavg.
	loadAverage string
}

// loadAverage returns the machine's load averages over 1, 5 and 15 minutes.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

// queryProfile is one statement of the profiled computation.
type queryProfile struct {
	id          string
	label       string
	elapsed     time.Duration // longest elapsed time seen while it ran
	readRows    uint64
	memoryBytes int64
}

// measureCatalogue generates 60 months of contacts and treatment demands,
// with the demo's care-offer inventories and federation activity, and
// loads them with the ingest job on an empty database. It computes the
// whole default catalogue once, building every load's partials, delivers
// one more month of contacts, and times the compute job's next run. With
// profile, it computes a third time while polling the server's running
// statements, to tell which dominate.
func measureCatalogue(ctx context.Context, srv *managed.Server, client *clickHouseClient, geo *geography.Geography,
	dir string, contacts, demands int, profile bool, progress func(string, ...any)) (res catalogueResult, err error) {
	wh, geoVersion, err := openEmpty(ctx, srv, client, geo)
	if err != nil {
		return res, err
	}
	defer wh.Close()

	inbox := filepath.Join(dir, "catalogue", "inbox")
	defer os.RemoveAll(filepath.Join(dir, "catalogue"))
	progress("catalogue: writing %s contacts and %s treatment demands over %d months, care offer and federation activity, to %s",
		thousands(int64(contacts)), thousands(int64(demands)), catalogueMonths, inbox)
	start := time.Now()
	if err := writeCatalogueInbox(ctx, inbox, contacts, demands); err != nil {
		return res, err
	}
	res.generate = time.Since(start)

	specs, err := catalogueSources()
	if err != nil {
		return res, err
	}
	pseudonymiser, err := privacy.New([]byte(secret))
	if err != nil {
		return res, err
	}
	if err := waitForMerges(ctx, client); err != nil {
		return res, err
	}
	progress("catalogue: loading them with the ingest job")
	job := ingest.New(ingest.Options{Warehouse: wh, Sources: specs, Inbox: inbox,
		StateDir: filepath.Join(dir, "catalogue", "state"), Pseudonymiser: pseudonymiser, Geography: geo})
	start = time.Now()
	loaded, err := job.Run(ctx, time.Now(), "bench-load")
	res.load = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("catalogue: ingest: %w", err)
	}
	if loaded.Refused > 0 || loaded.Quarantined > 0 {
		return res, fmt.Errorf("catalogue: ingest refused %d files and set aside %d rows: %s",
			loaded.Refused, loaded.Quarantined, strings.Join(loaded.Problems, "; "))
	}
	res.loadFiles = loaded.Loaded
	for table, n := range map[string]*uint64{"contacts": &res.contacts, "treatment_demands": &res.demands,
		"services": &res.services, "federation_activity": &res.activity} {
		if *n, err = wh.CountRows(ctx, table); err != nil {
			return res, err
		}
	}
	if res.contacts != uint64(contacts) || res.demands != uint64(demands) {
		return res, fmt.Errorf("catalogue: the warehouse holds %d contacts and %d demands, want %d and %d",
			res.contacts, res.demands, contacts, demands)
	}
	if err := waitForMerges(ctx, client); err != nil {
		return res, err
	}

	// The first computation builds every load's partials; the next ones
	// read them, and build those of the loads delivered since.
	progress("catalogue: computing the default catalogue a first time (load average %s)", loadAverage())
	var first catalogueResult
	if err := computeCatalogue(ctx, wh, geo, geoVersion, srv.PID(), "bench-catalogue-first", &first); err != nil {
		return res, err
	}
	res.firstTotal, res.firstWarehouse = first.total, first.warehouse
	next := contacts / catalogueMonths
	progress("catalogue: one more delivery, %s contacts of the last month, loaded by the ingest job", thousands(int64(next)))
	if err := writeNextDelivery(inbox, next); err != nil {
		return res, err
	}
	start = time.Now()
	loaded, err = job.Run(ctx, time.Now(), "bench-load-next")
	res.nextLoad = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("catalogue: ingest: %w", err)
	}
	if loaded.Loaded != 1 || loaded.Refused > 0 || loaded.Quarantined > 0 {
		return res, fmt.Errorf("catalogue: the next delivery: %d files loaded, %d refused, %d rows set aside: %s",
			loaded.Loaded, loaded.Refused, loaded.Quarantined, strings.Join(loaded.Problems, "; "))
	}
	res.nextRows = uint64(next)
	if err := waitForMerges(ctx, client); err != nil {
		return res, err
	}
	res.loadAverage = loadAverage()
	progress("catalogue: computing the default catalogue after that delivery (load average %s)", res.loadAverage)
	if err := computeCatalogue(ctx, wh, geo, geoVersion, srv.PID(), catalogueRun, &res); err != nil {
		return res, err
	}
	if profile {
		progress("catalogue: computing again, polling the running statements every %s", profilePoll)
		if err := profileCatalogue(ctx, wh, geo, geoVersion, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// writeCatalogueInbox writes the deliveries: the contacts and demands files
// of the benchmark's own volumes, and the demo's inventories and federation
// exports (at its scale 1) over the same months.
func writeCatalogueInbox(ctx context.Context, inbox string, contacts, demands int) error {
	write := func(rel string, body func(io.Writer) error) error {
		if err := writeBuffered(filepath.Join(inbox, filepath.FromSlash(rel)), body); err != nil {
			return fmt.Errorf("catalogue: generate %s: %w", rel, err)
		}
		return nil
	}
	if err := write("bench/contacts.csv", func(w io.Writer) error {
		return demo.WriteContactsCSVMonths(w, contacts, catalogueMonths, seed, until)
	}); err != nil {
		return err
	}
	if err := write("tdi/tdi-bench.csv", func(w io.Writer) error {
		return demo.WriteTreatmentDemandsCSV(w, demands, catalogueMonths, seed, until)
	}); err != nil {
		return err
	}
	// The demo writes every kind of delivery: keep the care offer and the
	// federations' exports, whose volumes do not grow with the teams'.
	staging := filepath.Join(filepath.Dir(inbox), "demo")
	defer os.RemoveAll(staging)
	if _, err := demo.Write(ctx, demo.Options{Dir: staging, Seed: seed, Until: until, Months: catalogueMonths}); err != nil {
		return err
	}
	for _, sub := range []string{"offre", "federations"} {
		if err := os.Rename(filepath.Join(staging, sub), filepath.Join(inbox, sub)); err != nil {
			return fmt.Errorf("catalogue: %w", err)
		}
	}
	return nil
}

// writeNextDelivery writes one more delivery of contacts, over the last
// month, as a team sends each month.
func writeNextDelivery(inbox string, rows int) error {
	if err := writeBuffered(filepath.Join(inbox, "bench", "contacts-next.csv"), func(w io.Writer) error {
		return demo.WriteContactsCSVMonths(w, rows, 1, seed+1, until)
	}); err != nil {
		return fmt.Errorf("catalogue: generate the next delivery: %w", err)
	}
	return nil
}

// catalogueSources are the sources the deliveries are loaded with: the
// benchmark's contacts CSV, and the shipped configuration's declarations of
// the TDI register, the care offer and the federations' exports.
func catalogueSources() ([]sources.Spec, error) {
	cfg, err := config.Parse(config.DefaultName, config.Default)
	if err != nil {
		return nil, err
	}
	specs := []sources.Spec{contactsSpec()}
	for _, s := range cfg.Sources {
		switch s.Dataset {
		case "treatment_demands", "services", "federation_activity":
			specs = append(specs, s)
		}
	}
	return specs, nil
}

// computeCatalogue runs the compute job over the default catalogue and reads
// its timings from its log line.
func computeCatalogue(ctx context.Context, wh *warehouse.Warehouse, geo *geography.Geography, geoVersion uint64,
	serverPID int, runID string, res *catalogueResult) error {
	logged := newComputeLog()
	job := compute.New(compute.Options{Warehouse: wh, Geography: geo, GeoVersion: geoVersion,
		Catalogue: func() (*catalogue.Catalogue, error) { return catalogue.Load(catalogue.Default()) },
		Logger:    slog.New(logged)})
	debug.FreeOSMemory()
	res.peakKnown = resetPeakRSS() == nil
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	serverBefore, serverErr := processCPU(serverPID)
	cpuBefore := selfCPU()
	start := time.Now()

	n, err := job.Run(ctx, time.Now(), runID)

	res.total = time.Since(start)
	res.cpu = selfCPU() - cpuBefore
	serverAfter, serverErr2 := processCPU(serverPID)
	res.serverCPU, res.cpuKnown = serverAfter-serverBefore, errors.Join(serverErr, serverErr2) == nil
	runtime.ReadMemStats(&after)
	res.totalAlloc = after.TotalAlloc - before.TotalAlloc
	if res.peakKnown {
		var rssErr error
		res.peakRSS, rssErr = vmHWM(0)
		res.peakKnown = rssErr == nil
	}
	if err != nil {
		return fmt.Errorf("catalogue: %w", err)
	}
	attrs, ok := logged.find("indicators computed")
	if !ok {
		return errors.New(`catalogue: the compute job logged no "indicators computed"`)
	}
	res.values = n
	res.indicators, res.cells = int(attrs["indicators"].Int64()), int(attrs["cells"].Int64())
	res.warehouse, res.derive, res.store = attrs["warehouse"].Duration(), attrs["derive"].Duration(), attrs["store"].Duration()
	res.suppress, res.slowest = attrs["suppress"].Duration(), attrs["slowest"].String()
	if res.values == 0 || res.warehouse+res.derive+res.store == 0 {
		return fmt.Errorf("catalogue: the compute job stored %d values in %s", res.values, res.total)
	}
	return nil
}

// profileCatalogue computes again while a second connection reads the
// server's running statements of the run, and keeps, for each, the longest
// elapsed time seen: statements shorter than the poll may be missed, those
// that matter are not.
func profileCatalogue(ctx context.Context, wh *warehouse.Warehouse, geo *geography.Geography, geoVersion uint64,
	res *catalogueResult) error {
	job := compute.New(compute.Options{Warehouse: wh, Geography: geo, GeoVersion: geoVersion,
		Catalogue: func() (*catalogue.Catalogue, error) { return catalogue.Load(catalogue.Default()) }})
	seen := map[string]*queryProfile{}
	var mu sync.Mutex
	var pollErr error
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		ticker := time.NewTicker(profilePoll)
		defer ticker.Stop()
		for {
			qs, err := wh.RunningQueries(ctx, profileRun+"-")
			mu.Lock()
			if err != nil {
				pollErr = err
			}
			for _, q := range qs {
				p := seen[q.QueryID]
				if p == nil {
					p = &queryProfile{id: q.QueryID, label: describeQuery(q.Query)}
					seen[q.QueryID] = p
				}
				p.elapsed = max(p.elapsed, q.Elapsed)
				p.readRows = max(p.readRows, q.ReadRows)
				p.memoryBytes = max(p.memoryBytes, q.MemoryBytes)
			}
			mu.Unlock()
			if err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-ticker.C:
			}
		}
	}()
	start := time.Now()
	_, err := job.Run(ctx, time.Now(), profileRun)
	res.profileTotal = time.Since(start)
	close(stop)
	<-polled
	if err != nil {
		return fmt.Errorf("catalogue: profile: %w", err)
	}
	if pollErr != nil {
		return fmt.Errorf("catalogue: profile: %w", pollErr)
	}
	for _, p := range seen {
		res.profile = append(res.profile, *p)
	}
	slices.SortFunc(res.profile, func(a, b queryProfile) int { return int(b.elapsed - a.elapsed) })
	res.seen = len(seen)
	return nil
}

// The statements of a computation, as pipeline/warehouse writes them
// (partials.go, cells.go, visits.go):
//   - a cell or visits query's partials are built by INSERT INTO
//     cell_partials or visit_partials … SELECT, from the rows of the loads
//     that have none (FROM <table> WHERE has(<loads>, load_id) …);
//   - they are read FROM cell_partials (summed with sumForEach) or FROM
//     visit_partials, by spec: the statement names neither the table nor
//     the breakdown;
//   - the rows with a record id, which partials never hold, are read from
//     the canonical table as they stand, with the statement the partials
//     are built from (FROM <table> WHERE record_key != … and the rows that
//     count);
//   - a dataset's data months are counted as a cell query whose one
//     measure is [toFloat64(count())] AS sums, by month alone;
//   - the values are stored by INSERT INTO indicator_cells.
var (
	// queryRows names the canonical table a statement reads its rows
	// from, and whether those are the rows with a record id.
	queryRows = regexp.MustCompile(`FROM (contacts|treatment_demands|services|federation_activity) WHERE (record_key != '')?`)
	// queryItem is one breakdown's category: a list field spread, a
	// yes/no field as text, a field.
	queryItem = `arrayJoin\(if\(empty\((\w+)\), \[''\], \w+\)\)|toString\((\w+)\)|(\w+)`
	// queryCategory is a cell query's category: an empty text without
	// breakdown.
	queryCategory = regexp.MustCompile(`(?:` + queryItem + `|'') AS category\b`)
	// queryCategories is a visits query's categories: those of its
	// breakdowns, or none.
	queryCategories = regexp.MustCompile(`area_key, (\[.*?\]|emptyArrayString\(\)) AS categories`)
	queryItems      = regexp.MustCompile(queryItem)
	// queryCounted is the field a visits query counts the values of; the
	// row itself for a stock's rows.
	queryCounted = regexp.MustCompile(`toString\((\w+|tuple\(load_id, line\))\) AS value`)
	// queryHistogram is the number field of a histogram.
	queryHistogram = regexp.MustCompile(`assumeNotNull\((\w+)\)`)
	// queryMeasures are a cell query's measures, (filters) AS c<i>, and
	// a visits query's, toUInt64(filters) * 2^i.
	queryMeasures      = regexp.MustCompile(`\) AS c\d+\b`)
	queryVisitMeasures = regexp.MustCompile(`\) \* \d+`)
	// queryOtherTable names the table of another statement.
	queryOtherTable = regexp.MustCompile(`(?:INSERT INTO|FROM|ALTER TABLE) (?:(\w+)\.)?(\w+)`)
)

// describeQuery names what a statement of the compute job does, from its
// text: build a query's partials (of cells, visits or data months), read
// cell or visit partials, read the rows with a record id (of cells, visits
// or data months), insert indicator_cells, or other; then the table, and
// for a cell or visits query, its breakdown and number of measures.
func describeQuery(q string) string {
	q = strings.TrimSpace(q)
	table, keyed := "", false
	if m := queryRows.FindStringSubmatch(q); m != nil {
		table, keyed = m[1], m[2] != ""
	}
	var what string
	switch {
	case strings.Contains(q, "[toFloat64(count())] AS sums"):
		what = "data months " + table
	case strings.Contains(q, "groupBitOr("):
		what = "visits " + table + describeVisits(q)
	default:
		what = "cells " + table + describeCells(q)
	}
	switch {
	case strings.HasPrefix(q, "INSERT INTO cell_partials"), strings.HasPrefix(q, "INSERT INTO visit_partials"):
		return "build " + what
	case strings.Contains(q, "FROM cell_partials"):
		return "read cell partials"
	case strings.Contains(q, "FROM visit_partials"):
		return "read visit partials"
	case keyed:
		return "record ids, " + what
	case strings.HasPrefix(q, "INSERT INTO indicator_cells"):
		return "insert indicator_cells"
	}
	if m := queryOtherTable.FindStringSubmatch(q); m != nil {
		return "other " + m[2]
	}
	return "other"
}

// describeCells names a cell query's breakdown, histogram field and number
// of measures.
func describeCells(q string) string {
	var label string
	if m := queryCategory.FindStringSubmatch(q); m != nil {
		if by := m[1] + m[2] + m[3]; by != "" {
			label += " by " + by
		}
	}
	if m := queryHistogram.FindStringSubmatch(q); m != nil {
		label += ", histogram of " + m[1]
	}
	return label + measures(len(queryMeasures.FindAllString(q, -1)))
}

// describeVisits names a visits query's counted field, breakdowns and
// number of measures.
func describeVisits(q string) string {
	var label string
	if m := queryCounted.FindStringSubmatch(q); m != nil {
		field := m[1]
		if strings.HasPrefix(field, "tuple(") {
			field = "rows"
		}
		label += " of " + field
	}
	if m := queryCategories.FindStringSubmatch(q); m != nil {
		var by []string
		for _, item := range queryItems.FindAllStringSubmatch(m[1], -1) {
			if f := item[1] + item[2] + item[3]; f != "emptyArrayString" {
				by = append(by, f)
			}
		}
		if len(by) > 0 {
			label += " by " + strings.Join(by, ", ")
		}
	}
	return label + measures(len(queryVisitMeasures.FindAllString(q, -1)))
}

// measures writes the number of measures of a query, after its other
// details.
func measures(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return ", 1 measure"
	}
	return fmt.Sprintf(", %d measures", n)
}

// computeLog is a slog handler that keeps the records' attributes, to read
// the compute job's timings.
type computeLog struct {
	records *logRecords
	attrs   []slog.Attr
}

type logRecords struct {
	mu    sync.Mutex
	msgs  []string
	attrs []map[string]slog.Value
}

func newComputeLog() *computeLog { return &computeLog{records: &logRecords{}} }

func (h *computeLog) Enabled(context.Context, slog.Level) bool { return true }

func (h *computeLog) Handle(_ context.Context, r slog.Record) error {
	attrs := map[string]slog.Value{}
	for _, a := range h.attrs {
		attrs[a.Key] = a.Value.Resolve()
	}
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.Resolve()
		return true
	})
	h.records.mu.Lock()
	h.records.msgs = append(h.records.msgs, r.Message)
	h.records.attrs = append(h.records.attrs, attrs)
	h.records.mu.Unlock()
	return nil
}

func (h *computeLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &computeLog{records: h.records, attrs: append(slices.Clone(h.attrs), attrs...)}
}

func (h *computeLog) WithGroup(string) slog.Handler { return h }

// find returns the attributes of the last record of a message.
func (h *computeLog) find(msg string) (map[string]slog.Value, bool) {
	h.records.mu.Lock()
	defer h.records.mu.Unlock()
	for i := len(h.records.msgs) - 1; i >= 0; i-- {
		if h.records.msgs[i] == msg {
			return h.records.attrs[i], true
		}
	}
	return nil, false
}

// printCatalogue writes the catalogue figures.
func printCatalogue(w io.Writer, r catalogueResult) {
	fmt.Fprintf(w, "\ncatalogue: the whole default catalogue (%d indicators) computed over %d months to %s\n",
		r.indicators, catalogueMonths, until.Format("2006-01"))
	fmt.Fprintf(w, "           from %s contacts, %s treatment demands, %s services rows, %s federation activity rows\n",
		thousands(int64(r.contacts)), thousands(int64(r.demands)), thousands(int64(r.services)), thousands(int64(r.activity)))
	fmt.Fprintf(w, "           (generated in %.1f s, %d files loaded by the ingest job in %.1f s),\n",
		r.generate.Seconds(), r.loadFiles, r.load.Seconds())
	fmt.Fprintf(w, "           then one more delivery of %s contacts (loaded in %.1f s)\n\n", thousands(int64(r.nextRows)), r.nextLoad.Seconds())
	seconds := func(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
	share := func(d time.Duration) string { return fmt.Sprintf("%.0f %%", 100*d.Seconds()/r.total.Seconds()) }
	ratio := func(d time.Duration) string { return fmt.Sprintf("%.2fx", d.Seconds()/catalogueTarget.Seconds()) }
	row := func(cells ...any) {
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("%-44s %10s %7s %9s", cells...), " "))
	}
	row("", "time", "share", "/ target")
	row("first compute run, wall time", seconds(r.firstTotal), "", "")
	row("  of which warehouse (builds every partial)", seconds(r.firstWarehouse), "", "")
	row("compute run after one more delivery", seconds(r.total), "", ratio(r.total))
	row("  warehouse cell queries (Gather)", seconds(r.warehouse), share(r.warehouse), "")
	row("  Go derivation (Derive)", seconds(r.derive), share(r.derive), "")
	row("  suppression (Suppress, Go)", seconds(r.suppress), share(r.suppress), "")
	row("  store (SaveIndicatorValues)", seconds(r.store), share(r.store), "")
	if r.cpuKnown {
		row("CPU, clickhouse-server", seconds(r.serverCPU), "", "")
		row("CPU, bassins-bench (Go)", seconds(r.cpu), "", "")
	}
	row("peak RSS, bassins-bench", orNA(r.peakKnown, mebibytes(r.peakRSS)), "", "")
	row("Go allocations", mebibytes(int64(r.totalAlloc)), "", "")
	fmt.Fprintf(w, "%-44s %10s\n", "cells gathered", thousands(int64(r.cells)))
	fmt.Fprintf(w, "%-44s %10s\n", "values stored", thousands(int64(r.values)))
	verdict := "within"
	if r.total > catalogueTarget {
		verdict = "ABOVE"
	}
	fmt.Fprintf(w, "target: %s s for the whole run: %s it\n", fmt.Sprint(catalogueTarget.Seconds()), verdict)
	if r.slowest != "" {
		fmt.Fprintf(w, "slowest warehouse queries: %s\n", r.slowest)
	}
	fmt.Fprintln(w, "first run: the partials of every load are built (after an upgrade or a change of the catalogue);")
	fmt.Fprintln(w, "the timed run reads them, and builds those of the one new delivery: every computation after a delivery;")
	fmt.Fprintln(w, "Gather includes the Go work on each answer's rows (roll-ups, distinct and new counts);")
	fmt.Fprintln(w, "CPU: user + system time during the run, of the server and of this process (which runs the job);")
	fmt.Fprintf(w, "load average of the machine before the run: %s (1, 5, 15 min; %d CPUs)\n", r.loadAverage, runtime.NumCPU())
	if len(r.profile) == 0 {
		if r.total > catalogueTarget {
			fmt.Fprintln(w, "--sections catalogue --profile-queries lists the slowest statements")
		}
		return
	}
	fmt.Fprintf(w, "\nslowest statements of a third, profiled run (%.2f s; %d statements seen running, polled every %s):\n",
		r.profileTotal.Seconds(), r.seen, profilePoll)
	const prow = "%-64s %9s %7s %14s %10s\n"
	fmt.Fprintf(w, prow, "", "elapsed", "share", "rows read", "memory")
	var sum time.Duration
	for _, p := range r.profile {
		sum += p.elapsed
	}
	pshare := func(d time.Duration) string { return fmt.Sprintf("%.0f %%", 100*d.Seconds()/r.profileTotal.Seconds()) }
	for i, p := range r.profile {
		if i == 15 {
			break
		}
		fmt.Fprintf(w, prow, p.label, seconds(p.elapsed), pshare(p.elapsed), thousands(int64(p.readRows)), mebibytes(p.memoryBytes))
	}
	fmt.Fprintf(w, prow, "every statement seen", seconds(sum), pshare(sum), "", "")
	fmt.Fprintln(w, "elapsed: the longest seen in system.processes; share: of the profiled run's wall time")
}
