package cli

import (
	"fmt"
	"io"

	"github.com/brusano/bassins/pipeline/geography"
)

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", stderr)
	configPath := fs.String("config", "", "configuration file")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	g, err := geography.Load(cfg.Geography)
	if err != nil {
		return usageError{err}
	}
	cat, err := cfg.Catalogue()
	if err != nil {
		return usageError{err}
	}
	where := "managed server in " + cfg.ClickHouse.DataDir
	if !cfg.ClickHouse.Managed() {
		where = cfg.ClickHouse.Address
	}
	fmt.Fprintf(stdout, "%s: OK\n  ClickHouse: %s, database %s\n  %d sources, %d jobs\n  geography: %d communes, %d bassins, %d areas; split: %s; population: %s\n  indicators: %d (default catalogue and %d file(s) of yours)\n",
		cfg.File, where, cfg.ClickHouse.Database, len(cfg.Sources), len(cfg.Jobs),
		len(g.Communes), len(g.Bassins), len(g.Areas), g.SplitSource, g.PopulationSource,
		len(cat.Indicators), len(cfg.Indicators.Files))
	return nil
}
