// Command bassins ingests the Brussels social-health sector's data into
// ClickHouse, computes each bassin's indicators, serves the dashboards and
// writes the periodic reports.
package main

import (
	"os"
	_ "time/tzdata" // Europe/Brussels on machines without a zone database

	"github.com/brusano/bassins/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
