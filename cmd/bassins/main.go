// Command bassins ingests the Brussels social-health sector's data into
// ClickHouse, computes each bassin's indicators, serves the dashboards and
// writes the periodic reports.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Europe/Brussels on machines without a zone database

	"github.com/brusano/bassins/cli"
)

func main() {
	// The first SIGINT or SIGTERM asks for an orderly stop: no new runs,
	// running ones get the configured grace, the ClickHouse server stops
	// last. A second one stops at once.
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		cancel()
		sig := <-signals
		fmt.Fprintf(os.Stderr, "bassins: %v received again, stopping at once\n", sig)
		os.Exit(1)
	}()
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}
