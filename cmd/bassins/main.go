// Command bassins ingests the Brussels social-health sector's data into
// ClickHouse, computes each bassin's indicators, serves the dashboards and
// writes the periodic reports.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Europe/Brussels on machines without a zone database

	"github.com/brusano/bassins/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
