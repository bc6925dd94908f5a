package warehouse

import (
	"context"
	"sync"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
)

// Reader is what the dashboards read from the warehouse: the latest computed
// snapshot, kept in memory until a newer computing run is stored, and the
// record of job runs, loads and deliveries.
type Reader struct {
	wh        *Warehouse
	geo       *geography.Geography
	minCount  int
	catalogue func() (*catalogue.Catalogue, error)

	mu     sync.Mutex
	cached *indicators.Snapshot
}

// NewReader returns a reader of snapshots with the given geography,
// suppression threshold and catalogue (read again for each new run; nil or
// unreadable: the default catalogue).
func NewReader(wh *Warehouse, geo *geography.Geography, minCount int, cat func() (*catalogue.Catalogue, error)) *Reader {
	return &Reader{wh: wh, geo: geo, minCount: minCount, catalogue: cat}
}

// Snapshot returns the latest computed values; one without values when
// nothing has been computed yet. Requests share it until a newer run lands:
// each call asks the warehouse for the latest run, and reads the values only
// when it changed. When the warehouse cannot be read, Snapshot fails rather
// than answer with the snapshot it holds: serving older figures, and saying
// so, is up to the caller (the dashboards do).
func (r *Reader) Snapshot(ctx context.Context) (*indicators.Snapshot, error) {
	runID, computedAt, err := r.wh.LatestRun(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	cached := r.cached
	r.mu.Unlock()
	if cached != nil && cached.RunID == runID {
		return cached, nil
	}
	var values []indicators.Value
	if runID != "" {
		if values, err = r.wh.Values(ctx, runID); err != nil {
			return nil, err
		}
	}
	var cat *catalogue.Catalogue
	if r.catalogue != nil {
		if c, err := r.catalogue(); err == nil {
			cat = c
		}
	}
	snap := indicators.NewSnapshot(runID, computedAt, r.geo, cat, r.minCount, values)
	r.mu.Lock()
	r.cached = snap
	r.mu.Unlock()
	return snap, nil
}

// RecentRuns returns up to limit job runs, newest first.
func (r *Reader) RecentRuns(ctx context.Context, limit int) ([]JobRun, error) {
	return r.wh.RecentRuns(ctx, limit)
}

// RecentLoads returns up to limit loads with their latest status, newest
// first.
func (r *Reader) RecentLoads(ctx context.Context, limit int) ([]Load, error) {
	return r.wh.Loads(ctx, LoadFilter{Limit: limit})
}

// QuarantineSample returns up to perLoad quarantined rows of each listed
// load, without the values they hold: pages show the line, field and reason
// only.
func (r *Reader) QuarantineSample(ctx context.Context, loadIDs []uint64, perLoad int) (map[uint64][]QuarantinedRow, error) {
	return r.wh.QuarantineSample(ctx, loadIDs, perLoad)
}

// Deliveries returns the lines loaded per monthly source and month.
func (r *Reader) Deliveries(ctx context.Context) ([]Delivery, error) {
	return r.wh.Deliveries(ctx)
}
