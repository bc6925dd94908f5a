// Package demo writes deterministic, realistic demo files for every source
// kind the product ingests: the mobile teams' contact logs (JSON Lines), the
// federations' monthly activity exports and the care-offer inventory (CSV as
// Belgian Excel writes them, Windows-1252) and the TDI treatment demands.
//
// The same options always give byte-identical files: every random draw comes
// from a PCG generator seeded from Options.Seed, maps are never iterated
// unsorted and the clock is never read.
package demo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// Dataset names used as keys of Summary.Rows.
const (
	DatasetContacts           = "contacts"
	DatasetFederationActivity = "federation_activity"
	DatasetServices           = "services"
	DatasetTreatmentDemands   = "treatment_demands"
)

// Options says what to write and where.
type Options struct {
	Dir string // inbox folder to write into (created)
	// Seed picks the data; the same seed gives the same files. 0 means 1.
	Seed int64
	// Scale multiplies every volume (contacts, persons, services, demands).
	// 0 means 1; even a small scale writes every file kind for every month.
	Scale float64
	// Until is the last month included (any day in it); the data covers
	// Months months ending there.
	Until  time.Time
	Months int // 0 means 36
	Logger *slog.Logger
}

// Summary counts what Write wrote.
type Summary struct {
	Files int
	// Rows is the number of data rows (header excluded) per dataset:
	// "contacts", "federation_activity", "services", "treatment_demands".
	Rows map[string]int
}

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("demo: no folder to write into (Dir)")
	}
	if o.Until.IsZero() {
		return o, errors.New("demo: no last month (Until)")
	}
	if o.Scale < 0 || math.IsNaN(o.Scale) || math.IsInf(o.Scale, 0) {
		return o, fmt.Errorf("demo: scale %v is not a positive number", o.Scale)
	}
	if o.Months < 0 {
		return o, fmt.Errorf("demo: months %d is negative", o.Months)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Scale == 0 {
		o.Scale = 1
	}
	if o.Months == 0 {
		o.Months = 36
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Write writes every demo file for the covered months into opts.Dir and
// returns how many files and rows it wrote. Each file appears at once (it is
// written under a hidden temporary name in the same folder, then renamed), so
// a folder watcher never reads half a file. The context is checked between
// files.
func Write(ctx context.Context, opts Options) (Summary, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	log := opts.Logger.With("component", "demo")
	geo, err := loadGeo()
	if err != nil {
		return Summary{}, err
	}
	months := coveredMonths(opts.Until, opts.Months)
	out := &inbox{dir: opts.Dir, summary: Summary{Rows: map[string]int{
		DatasetContacts: 0, DatasetFederationActivity: 0, DatasetServices: 0, DatasetTreatmentDemands: 0,
	}}}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return out.summary, fmt.Errorf("demo: %w", err)
	}

	offer := newOffer(opts.Seed, opts.Scale, geo, months)
	for _, year := range offer.years {
		name := fmt.Sprintf("offre/inventaire-%d.csv", year)
		if err := out.write(ctx, name, DatasetServices, windows1252(offer.writeInventory(year))); err != nil {
			return out.summary, err
		}
	}
	for fi, fed := range exportingFederations {
		for _, m := range months {
			name := fmt.Sprintf("federations/%s/%s-activite-%s.csv", fed.dir, fed.dir, m.Format("2006-01"))
			body := offer.writeActivity(opts.Seed, fi, fed, m)
			if err := out.write(ctx, name, DatasetFederationActivity, windows1252(body)); err != nil {
				return out.summary, err
			}
		}
	}

	volumes := contactVolumes(newRand(opts.Seed, streamVolumes), months, opts.Scale)
	for _, fam := range []familySpec{comboFamily, renfortFamily} {
		family := newFamily(opts.Seed, fam, geo, opts.Scale, len(months))
		for mi, m := range months {
			count := volumes[mi].combo
			if fam.name == renfortFamily.name {
				count = volumes[mi].renfort
			}
			name := fmt.Sprintf("mobile-teams/%s-%s.jsonl", fam.name, m.Format("2006-01"))
			if err := out.write(ctx, name, DatasetContacts, family.writeJSONL(mi, m, count)); err != nil {
				return out.summary, err
			}
		}
	}

	demands := newTreatmentDemands(opts.Seed, geo, opts.Scale, months)
	for mi, m := range months {
		name := fmt.Sprintf("tdi/tdi-%s.csv", m.Format("2006-01"))
		if err := out.write(ctx, name, DatasetTreatmentDemands, demands.writeMonth(mi, m)); err != nil {
			return out.summary, err
		}
	}

	log.Info("demo files written", "dir", opts.Dir, "seed", opts.Seed, "scale", opts.Scale,
		"first_month", months[0].Format("2006-01"), "last_month", months[len(months)-1].Format("2006-01"),
		"files", out.summary.Files, "contacts", out.summary.Rows[DatasetContacts],
		"federation_activity", out.summary.Rows[DatasetFederationActivity],
		"services", out.summary.Rows[DatasetServices],
		"treatment_demands", out.summary.Rows[DatasetTreatmentDemands])
	return out.summary, nil
}

// benchRun checks the arguments of the benchmark writers (n rows over
// monthCount months ending with the month of until; a seed of 0 means 1)
// and returns the seed, the geography and the months.
func benchRun(n, monthCount int, seed int64, until time.Time) (int64, *geo, []time.Time, error) {
	if n < 0 {
		return 0, nil, nil, fmt.Errorf("demo: negative row count %d", n)
	}
	if monthCount <= 0 {
		return 0, nil, nil, fmt.Errorf("demo: month count %d is not positive", monthCount)
	}
	if until.IsZero() {
		return 0, nil, nil, fmt.Errorf("demo: no last month (until)")
	}
	if seed == 0 {
		seed = 1
	}
	g, err := loadGeo()
	if err != nil {
		return 0, nil, nil, err
	}
	return seed, g, coveredMonths(until, monthCount), nil
}

// coveredMonths returns the first day (UTC) of each of the n months ending
// with the month of until, oldest first.
func coveredMonths(until time.Time, n int) []time.Time {
	last := time.Date(until.Year(), until.Month(), 1, 0, 0, 0, 0, time.UTC)
	months := make([]time.Time, n)
	for i := range n {
		months[i] = last.AddDate(0, i-(n-1), 0)
	}
	return months
}

// inbox writes files atomically into the inbox folder and counts them.
type inbox struct {
	dir     string
	summary Summary
}

// fileBody writes the content of one file and returns its number of data rows.
type fileBody func(w io.Writer) (rows int, err error)

func (b *inbox) write(ctx context.Context, rel, dataset string, body fileBody) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	path := filepath.Join(b.dir, filepath.FromSlash(rel))
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// A hidden name with a .tmp suffix in the same folder: watchers skip it,
	// and the rename is atomic because it stays on one file system.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	rows, err := body(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("demo: write %s: %w", rel, err)
	}
	b.summary.Files++
	b.summary.Rows[dataset] += rows
	return nil
}

// windows1252 encodes what body writes as Windows-1252, as Excel does on a
// Belgian Windows.
func windows1252(body fileBody) fileBody {
	return func(w io.Writer) (int, error) {
		tw := transform.NewWriter(w, charmap.Windows1252.NewEncoder())
		rows, err := body(tw)
		if cerr := tw.Close(); err == nil {
			err = cerr
		}
		return rows, err
	}
}

// Random streams: each kind of draw has its own generator so that adding a
// draw to one file kind does not change the others.
const (
	streamVolumes uint64 = iota + 1
	streamCombo
	streamRenfort
	streamServices
	streamOpenings
	streamActivity
	streamTDI
	streamBenchmark
)

// newRand returns a generator for a stream, mixed with optional indexes (a
// federation, a month) so that each file can have its own sequence.
func newRand(seed int64, stream uint64, index ...int) *rand.Rand {
	s := stream
	for _, i := range index {
		s = splitmix(s ^ uint64(i+1)*0x9e3779b97f4a7c15)
	}
	return rand.New(rand.NewPCG(splitmix(uint64(seed)), splitmix(s)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// option is one value of a categorical variable with its relative weight.
type option struct {
	value  string
	weight float64
}

// choice draws values of a categorical variable.
type choice struct {
	values     []string
	cumulative []float64
}

func newChoice(options []option) choice {
	c := choice{values: make([]string, len(options)), cumulative: make([]float64, len(options))}
	var sum float64
	for i, o := range options {
		sum += o.weight
		c.values[i] = o.value
		c.cumulative[i] = sum
	}
	return c
}

func (c choice) pick(r *rand.Rand) string { return c.values[c.index(r)] }

func (c choice) index(r *rand.Rand) int {
	x := r.Float64() * c.cumulative[len(c.cumulative)-1]
	return sort.Search(len(c.cumulative), func(i int) bool { return c.cumulative[i] > x })
}

// cumulativePick draws an index from cumulative weights.
func cumulativePick(r *rand.Rand, cumulative []float64) int {
	x := r.Float64() * cumulative[len(cumulative)-1]
	i := sort.Search(len(cumulative), func(i int) bool { return cumulative[i] > x })
	if i == len(cumulative) {
		i--
	}
	return i
}

// poisson draws a Poisson count: Knuth's method for small means, a rounded
// normal for large ones.
func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// atLeastOne rounds a volume, keeping at least one row so that a small scale
// still writes every file with content.
func atLeastOne(x float64) int {
	return max(1, int(math.Round(x)))
}

// daysIn returns the number of days of the month starting at m.
func daysIn(m time.Time) int {
	return m.AddDate(0, 1, -1).Day()
}

// formatDecimal writes a number with one decimal and a decimal comma.
func formatDecimal(x float64) string {
	b := []byte(fmt.Sprintf("%.1f", x))
	for i, c := range b {
		if c == '.' {
			b[i] = ','
		}
	}
	return string(b)
}
