// Command bassins-bench measures how fast the ingest pipeline loads contact
// rows into ClickHouse, next to clickhouse-client loading the same CSV file
// into a plain table, on the same managed server and in the same run, for
// one or several file sizes (by default 1,000,000 and 10,000,000 rows). It
// prints figures: the loads have no target; the computation of the
// indicators and the freshness are printed next to their targets (within or
// ABOVE), which the exit status does not depend on. It fails only when a
// measure cannot be made: a load, a computation or `bassins serve` fails, a
// table holds other rows than were written, or a delivery does not show in
// the dashboards within three times the freshness target.
//
// `make bench` builds and runs it. It starts a managed ClickHouse server in
// <dir>/clickhouse, as the product does, then for each size:
//
//  1. create the database bassins_bench (dropped first, so that each size,
//     and a kept --dir, starts empty) with the product's migrations and
//     geography;
//  2. write the synthetic contacts (sources/demo, seed 1, 36 months ending
//     December 2025) to <dir>/inbox/bench/contacts.csv, ';'-separated;
//  3. load the file with the ingest job, as a source of the contacts dataset
//     (reading, checking every rule, pseudonymisation, geography,
//     quarantine, blocks of --chunk rows), timing it and reading this
//     process's peak RSS (VmHWM, reset before the load);
//  4. load the same file with clickhouse-client … FORMAT CSVWithNames into
//     bassins_bench.contacts_reference, a MergeTree table with the CSV's own
//     columns, timing it and sampling the client's peak RSS;
//  5. check both tables hold exactly the rows written and the same dates,
//     sums and postcodes.
//
// Then it measures the computation of the indicators: on an empty database,
// it generates 60 months to December 2025 of contacts (10,000,000 by default,
// --catalogue-contacts) and treatment demands (500,000, --catalogue-demands),
// with the demo's care-offer inventories and federation exports, and loads
// them with the ingest job. It computes the whole default catalogue once
// (that first run builds every load's partials), loads one more month's
// delivery of contacts, and times the compute job's next run, which reads
// the partials and builds those of the new delivery alone, split as its log
// line tells: the warehouse's cell queries (Gather), the Go derivation
// (Derive), the suppression (Suppress) and the store (SaveIndicatorValues),
// next to the 5 s target. With --profile-queries, it computes a third time
// while polling the server's running statements, and lists the slowest.
//
// Then it measures freshness: it runs `BIN serve` (bin/bassins, the default
// configuration, demo data whose last month lacks one team's delivery), drops
// that delivery into the inbox and polls the dashboards' CSV download until the
// region's contacts of the month include it; it prints how long that took,
// next to the 60 s target. --bassins "" skips this measure.
//
// Before each load it waits for the server's background merges to end, so
// that a load is not billed for the merges of what came before; the merges
// a load leaves after it ends are billed to neither.
//
// CPU counts the loading process (bassins-bench for the pipeline,
// clickhouse-client for the reference) and clickhouse-server during the load,
// together: each side does its share of the parsing and the writing.
//
// Usage:
//
//	bassins-bench [--rows N[,N…]] [--chunk N] [--dir DIR] [--keep] [--cpuprofile FILE] [--bassins BIN]
//	              [--sections load,catalogue,freshness] [--catalogue-contacts N] [--catalogue-demands N]
//	              [--profile-queries]
//
// Without --dir the work folder is a new temporary folder, removed at the end
// unless --keep is given. With several sizes, --cpuprofile writes FILE.N for
// the pipeline load of N rows. It exits 1 on any failure and 2 on a usage
// mistake.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	_ "time/tzdata" // as the product binary, for machines without a zone database
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses the command line, runs the benchmark and returns the exit code.
// The report goes to stdout, progress and errors to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var opts options
	fs := flag.NewFlagSet("bassins-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rows := fs.String("rows", "1000000,10000000", "contact rows to generate and load, several sizes separated by commas")
	fs.IntVar(&opts.chunk, "chunk", 50_000, "rows per insert block of the pipeline")
	fs.StringVar(&opts.dir, "dir", "", "work folder (default: a new temporary folder)")
	fs.BoolVar(&opts.keep, "keep", false, "keep the temporary work folder")
	fs.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of the pipeline load to this file")
	fs.StringVar(&opts.bassins, "bassins", "bin/bassins", "the product binary for the freshness measure (empty: skip it)")
	sections := fs.String("sections", "load,catalogue,freshness", "the measures to make, separated by commas: load, catalogue, freshness")
	fs.IntVar(&opts.catalogueContacts, "catalogue-contacts", 10_000_000, "contacts the catalogue measure computes from")
	fs.BoolVar(&opts.profileQueries, "profile-queries", false, "compute the catalogue once more after the timed run, listing its slowest statements")
	fs.IntVar(&opts.catalogueDemands, "catalogue-demands", 500_000, "treatment demands the catalogue measure computes from")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bassins-bench: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	for _, r := range strings.Split(*rows, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "bassins-bench: --rows %q: give positive numbers separated by commas\n", *rows)
			return exitUsage
		}
		opts.rows = append(opts.rows, n)
	}
	opts.sections = map[string]bool{}
	for _, sec := range strings.Split(*sections, ",") {
		sec = strings.TrimSpace(sec)
		if sec != "load" && sec != "catalogue" && sec != "freshness" {
			fmt.Fprintf(stderr, "bassins-bench: --sections %q: give load, catalogue or freshness, separated by commas\n", *sections)
			return exitUsage
		}
		opts.sections[sec] = true
	}
	if opts.catalogueContacts <= 0 || opts.catalogueDemands <= 0 {
		fmt.Fprintln(stderr, "bassins-bench: --catalogue-contacts and --catalogue-demands must be positive")
		return exitUsage
	}
	if opts.chunk <= 0 {
		fmt.Fprintln(stderr, "bassins-bench: --chunk must be positive")
		return exitUsage
	}
	if err := bench(ctx, opts, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "bassins-bench: FAILED: %v\n", err)
		return exitFailed
	}
	return exitOK
}
