// Package compute is the generic engine that turns every entry of the
// indicator catalogue into values: the warehouse computes the aggregates
// (counts, sums, distinct counts, histograms) of each dataset, one query per
// dataset and breakdown, and this package derives the values in Go: roll-ups
// of additive counts to communes, bassins, the Region, quarters and years,
// medians, rates per population, shares and ratios.
package compute

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/completeness"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// Options wires the job.
type Options struct {
	Warehouse  *warehouse.Warehouse
	Geography  *geography.Geography
	GeoVersion uint64
	// Catalogue reads the indicator catalogue, at each run: an indicator
	// an operator adds is computed by the next run.
	Catalogue func() (*catalogue.Catalogue, error)
	// Deliveries returns the deliveries owed, received and on time (the
	// virtual deliveries dataset) as known at now; nil: none.
	Deliveries func(ctx context.Context, now time.Time) ([]completeness.Row, error)
	// MinCount is the smallest count published (privacy.min_count).
	MinCount int
	Logger   *slog.Logger
}

// Job computes and stores every indicator value.
type Job struct {
	opts Options
	log  *slog.Logger
}

// New returns the compute job.
func New(opts Options) *Job {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Job{opts: opts, log: log.With("component", "compute")}
}

// Run computes every indicator from the committed data and stores them as the
// run runID. It returns the number of values stored.
func (j *Job) Run(ctx context.Context, now time.Time, runID string) (int, error) {
	ctx = warehouse.WithRun(ctx, runID)
	started := time.Now()
	cat, err := j.opts.Catalogue()
	if err != nil {
		return 0, fmt.Errorf("compute: %w", err)
	}
	var deliveries []completeness.Row
	if j.opts.Deliveries != nil {
		if deliveries, err = j.opts.Deliveries(ctx, now); err != nil {
			return 0, fmt.Errorf("compute: %w", err)
		}
	}
	cells, err := Gather(ctx, j.opts.Warehouse, cat, j.opts.Geography, deliveries)
	if err != nil {
		return 0, fmt.Errorf("compute: %w", err)
	}
	gathered := time.Now()
	in := Input{Catalogue: cat, Geography: j.opts.Geography, Now: now}
	values := Derive(in, cells)
	derived := time.Now()
	minCount := j.opts.MinCount
	if minCount == 0 {
		minCount = 5
	}
	Suppress(in, cells, values, int64(minCount))
	suppressed := time.Now()
	for i := range values {
		values[i].RunID = runID
	}
	if err := j.opts.Warehouse.SaveIndicatorValues(ctx, runID, now, j.opts.GeoVersion, values); err != nil {
		return 0, fmt.Errorf("compute: %w", err)
	}
	j.log.Info("indicators computed", "run", runID, "indicators", len(cat.Indicators), "values", len(values),
		"cells", len(cells.Values), "warehouse", gathered.Sub(started).Round(time.Millisecond),
		"derive", derived.Sub(gathered).Round(time.Millisecond), "suppress", suppressed.Sub(derived).Round(time.Millisecond),
		"store", time.Since(suppressed).Round(time.Millisecond), "slowest", cells.slowest(3))
	return len(values), nil
}
