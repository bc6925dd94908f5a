// Package compute is the job that turns the warehouse's monthly aggregates
// into indicator values: counts as they are, rates per inhabitants derived in
// Go from counts and the reference population.
package compute

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// Options wires the job.
type Options struct {
	Warehouse  *warehouse.Warehouse
	Geography  *geography.Geography
	GeoVersion uint64
	Logger     *slog.Logger
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
	aggs, err := j.opts.Warehouse.Aggregates(ctx, runID, j.opts.GeoVersion)
	if err != nil {
		return 0, fmt.Errorf("compute: %w", err)
	}
	values := Derive(aggs, j.opts.Geography)
	for i := range values {
		values[i].RunID = runID
	}
	if err := j.opts.Warehouse.SaveIndicatorValues(ctx, runID, now, j.opts.GeoVersion, values); err != nil {
		return 0, fmt.Errorf("compute: %w", err)
	}
	j.log.Info("indicators computed", "run", runID, "values", len(values), "aggregates", len(aggs))
	return len(values), nil
}

// monthly lists the count indicators read straight from a monthly measure,
// with the dataset they come from.
var monthly = []struct{ indicator, dataset string }{
	{"contacts", "contacts"},
	{"persons", "contacts"},
	{"new_persons", "contacts"},
	{"syringes", "contacts"},
	{"naloxone", "contacts"},
	{"referrals", "contacts"},
	{"treatment_demands", "treatment_demands"},
	{"federation_consultations", "federation_activity"},
}

type geo struct{ level, code string }

// Derive turns aggregates into indicator values. A month in which a dataset
// has data for the region gives every geography a value for that dataset's
// indicators, zero where nothing was recorded. Services come from the latest
// inventory whose reference date is not after the month's end.
func Derive(aggs []warehouse.Aggregate, g *geography.Geography) []indicators.Value {
	geos := []geo{{geography.LevelRegion, geography.RegionCode}}
	for _, b := range g.Bassins {
		geos = append(geos, geo{geography.LevelBassin, b.Code})
	}
	for _, c := range g.Communes {
		geos = append(geos, geo{geography.LevelCommune, c.NIS})
	}

	type cell struct {
		measure string
		geo
		period time.Time
	}
	byCell := map[cell]float64{}
	months := map[string]map[time.Time]bool{} // dataset -> months with data
	inventories := map[time.Time]bool{}
	datasetOf := map[string]string{}
	for _, m := range monthly {
		datasetOf[m.indicator] = m.dataset
	}
	for _, a := range aggs {
		byCell[cell{a.Measure, geo{a.Level, a.Code}, a.Period}] = a.Value
		if a.Level != geography.LevelRegion {
			continue
		}
		if a.Measure == "services" {
			inventories[a.Period] = true
		} else if ds, ok := datasetOf[a.Measure]; ok {
			if months[ds] == nil {
				months[ds] = map[time.Time]bool{}
			}
			months[ds][a.Period] = true
		}
	}

	var out []indicators.Value
	emit := func(indicator string, gg geo, period time.Time, numerator float64, rateOf string) {
		assignment := gg.level == geography.LevelBassin && g.AssignmentEstimated(gg.code)
		out = append(out, indicators.Value{Indicator: indicator, Level: gg.level, Code: gg.code, Period: period,
			Value: numerator, Numerator: numerator, Estimated: assignment})
		if rateOf == "" {
			return
		}
		pop, estimated := g.Population(gg.level, gg.code)
		if pop == 0 {
			return
		}
		out = append(out, indicators.Value{Indicator: rateOf, Level: gg.level, Code: gg.code, Period: period,
			Value: numerator / float64(pop) * 10000, Numerator: numerator, Denominator: float64(pop),
			Estimated: assignment || estimated})
	}
	rates := map[string]string{"contacts": "contacts_per_10k", "treatment_demands": "treatment_demands_per_10k"}

	allMonths := map[time.Time]bool{}
	for _, m := range monthly {
		for _, period := range sortedTimes(months[m.dataset]) {
			allMonths[period] = true
			for _, gg := range geos {
				emit(m.indicator, gg, period, byCell[cell{m.indicator, gg, period}], rates[m.indicator])
			}
		}
	}

	refs := sortedTimes(inventories)
	if len(refs) > 0 {
		periods := sortedTimes(allMonths)
		if len(periods) == 0 { // an inventory alone: show it at its own months
			for _, r := range refs {
				periods = append(periods, time.Date(r.Year(), r.Month(), 1, 0, 0, 0, 0, time.UTC))
			}
		}
		for _, period := range periods {
			end := period.AddDate(0, 1, 0)
			i := sort.Search(len(refs), func(i int) bool { return !refs[i].Before(end) }) - 1
			if i < 0 {
				continue // no inventory yet at that month
			}
			for _, gg := range geos {
				emit("services", gg, period, byCell[cell{"services", gg, refs[i]}], "services_per_10k")
			}
		}
	}
	return out
}

func sortedTimes(set map[time.Time]bool) []time.Time {
	out := make([]time.Time, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}
