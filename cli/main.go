package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main runs the command line as the bassins program does: the first SIGINT
// or SIGTERM asks for an orderly stop (no new runs, running ones get the
// configured grace, the ClickHouse server stops last); a second one exits at
// once with status 1. It returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		if _, ok := <-signals; !ok {
			return
		}
		cancel()
		sig := <-signals
		fmt.Fprintf(stderr, "bassins: %v received again, stopping at once\n", sig)
		os.Exit(exitFailed)
	}()
	return Run(ctx, args, stdout, stderr)
}
