// Package cli is the composition root of the bassins command: it parses the
// command line, wires the packages together and runs one mode. One file per
// subcommand.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

const usage = `bassins: dashboards and reports of the bassins d'aide et de soins of Brussels.

Usage:
  bassins demo        [--config FILE] [--addr ADDR] [--scale N]  demo data, every job once, then serve and schedule
  bassins serve       [--config FILE] [--addr ADDR]              serve the dashboards and run the scheduled jobs
  bassins run JOB     [--config FILE] [--period YYYY-MM]         run one job now (ingest, compute, monthly-report…)
  bassins backfill JOB --from YYYY-MM [--to YYYY-MM] [--dry-run] [--config FILE]  redo a report or a computation for past months
  bassins check       [--config FILE]                            check a configuration (exit 2 on a mistake)
  bassins export indicators [--config FILE] [--format csv|json] [--output FILE] [--unsuppressed]
  bassins demo-data   [--config FILE] [--dir DIR] [--scale N] [--seed N] [--until YYYY-MM]
  bassins indicators list [--config FILE]                        the indicator catalogue (default and operators' files)
  bassins indicators describe ID [--config FILE]                 an indicator's definition sheet, in French and Dutch
  bassins datasets                                               list the canonical datasets and their fields
  bassins sources check NAME --file FILE [--config FILE] [--rows N]  dry run: how a source would read a file
  bassins loads       [--config FILE] [--source S] [--format table|json]  every delivery and what became of it
  bassins loads retract LOAD_ID --reason "…" [--config FILE]     withdraw a delivery
  bassins quarantine  [--config FILE] [--source S] [--load ID] [--format table|json]  rows set aside, with values

Without --config, the configuration shipped in config/bassins.yaml is used.
`

// Run runs the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "demo":
		err = runDemo(ctx, rest, stdout, stderr)
	case "serve":
		err = runServe(ctx, rest, stdout, stderr)
	case "run":
		err = runJob(ctx, rest, stdout, stderr)
	case "backfill":
		err = runBackfill(ctx, rest, stdout, stderr)
	case "check":
		err = runCheck(rest, stdout, stderr)
	case "export":
		err = runExport(ctx, rest, stdout, stderr)
	case "demo-data":
		err = runDemoData(ctx, rest, stdout, stderr)
	case "indicators":
		err = runIndicators(rest, stdout, stderr)
	case "datasets":
		err = runDatasets(stdout)
	case "sources":
		err = runSources(ctx, rest, stdout, stderr)
	case "loads":
		err = runLoads(ctx, rest, stdout, stderr)
	case "quarantine":
		err = runQuarantine(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "bassins: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "bassins %s: %v\n", cmd, err)
		return exitUsage
	case errors.Is(err, flag.ErrHelp):
		return exitUsage
	default:
		fmt.Fprintf(stderr, "bassins %s: %v\n", cmd, err)
		return exitFailed
	}
}

// usageError is a mistake in the command line or the configuration: exit 2.
type usageError struct{ error }

// parseFlags parses flags placed before or after positional arguments and
// returns the positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bassins "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
