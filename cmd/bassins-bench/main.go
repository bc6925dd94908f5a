// Command bassins-bench measures how fast the ingest pipeline loads contact
// rows into ClickHouse, next to clickhouse-client loading the same CSV file
// into a plain table, on the same managed server and in the same run. It
// prints figures, not a verdict: there is no threshold and no pass or fail
// beyond the loads themselves succeeding with the expected row counts.
//
// `make bench` builds and runs it. Steps:
//
//  1. start a managed ClickHouse server in <dir>/clickhouse, as the product
//     does, and create the database bassins_bench (dropped first, so a kept
//     --dir can be reused) with the product's migrations and geography;
//  2. write --rows synthetic contacts (sources/demo, seed 1, 36 months ending
//     December 2025) to <dir>/inbox/bench/contacts.csv, ';'-separated;
//  3. load the file with the ingest job, as a source of the contacts dataset
//     (parsing, pseudonymisation, geography, blocks of --chunk rows), timing
//     it and reading this process's peak RSS (VmHWM, reset before the load);
//  4. load the same file with clickhouse-client into
//     bassins_bench.contacts_reference, a MergeTree table with the CSV's own
//     columns, timing it;
//  5. check both tables hold exactly --rows rows and the same dates, sums
//     and postcodes, and print the comparison.
//
// Before each load it waits for the server's background merges to end, so
// that a load is not billed for the merges of what came before.
//
// The CPU columns say where the time goes: "this" is the CPU time of the
// loading process (bassins-bench for the pipeline, clickhouse-client for the
// reference), "server" that of clickhouse-server during the load.
//
// Usage:
//
//	bassins-bench [--rows N] [--chunk N] [--dir DIR] [--keep] [--cpuprofile FILE]
//
// Without --dir the work folder is a new temporary folder, removed at the end
// unless --keep is given. It exits 1 on any failure and 2 on a usage mistake.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	fs.IntVar(&opts.rows, "rows", 1_000_000, "contact rows to generate and load")
	fs.IntVar(&opts.chunk, "chunk", 50_000, "rows per insert block of the pipeline")
	fs.StringVar(&opts.dir, "dir", "", "work folder (default: a new temporary folder)")
	fs.BoolVar(&opts.keep, "keep", false, "keep the temporary work folder")
	fs.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of the pipeline load to this file")
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
	if opts.rows <= 0 || opts.chunk <= 0 {
		fmt.Fprintln(stderr, "bassins-bench: --rows and --chunk must be positive")
		return exitUsage
	}
	if err := bench(ctx, opts, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "bassins-bench: FAILED: %v\n", err)
		return exitFailed
	}
	return exitOK
}
