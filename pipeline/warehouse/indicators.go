package warehouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
)

// SaveGeography stores the reference geography and returns its version. The
// same content keeps its version, so restarts do not pile up copies.
func (w *Warehouse) SaveGeography(ctx context.Context, g *geography.Geography) (uint64, error) {
	h := sha256.New()
	for _, b := range g.Bassins {
		fmt.Fprintf(h, "b|%s|%s|%s\n", b.Code, b.NameFR, b.NameNL)
	}
	for _, c := range g.Communes {
		fmt.Fprintf(h, "c|%s|%s|%s|%s|%s\n", c.NIS, c.NameFR, c.NameNL, c.MainPostcode, c.Bassin)
	}
	for _, a := range g.Areas {
		fmt.Fprintf(h, "a|%s|%s|%s|%s|%s|%s|%d|%s|%s\n", a.Key, a.NIS, a.Postcode, a.Label, a.Bassin, a.BassinStatus,
			a.Population, a.PopulationDate.Format(time.DateOnly), a.PopulationStatus)
	}
	// Every reference date and age structure, which geo_areas does not hold:
	// the compute job divides by them.
	fmt.Fprintf(h, "p|%s\n", g.PopulationFingerprint())
	hash := hex.EncodeToString(h.Sum(nil))

	var version uint64
	if err := w.conn.QueryRow(ctx, "SELECT max(version) FROM geo_versions WHERE content_hash = ?", hash).Scan(&version); err != nil {
		return 0, fmt.Errorf("warehouse: geography version: %w", err)
	}
	if version > 0 {
		return version, nil
	}
	version = uint64(time.Now().UnixNano())

	var rows [][]any
	for _, b := range g.Bassins {
		rows = append(rows, []any{version, b.Code, b.NameFR, b.NameNL})
	}
	if err := w.InsertRows(ctx, "geo_bassins", []string{"version", "code", "name_fr", "name_nl"}, rows); err != nil {
		return 0, err
	}
	rows = rows[:0]
	for _, c := range g.Communes {
		rows = append(rows, []any{version, c.NIS, c.NameFR, c.NameNL, c.MainPostcode, c.Bassin})
	}
	if err := w.InsertRows(ctx, "geo_communes", []string{"version", "nis", "name_fr", "name_nl", "main_postcode", "bassin"}, rows); err != nil {
		return 0, err
	}
	rows = rows[:0]
	for _, a := range g.Areas {
		rows = append(rows, []any{version, a.Key, a.NIS, a.Postcode, a.Label, a.Bassin, a.BassinStatus,
			uint32(a.Population), a.PopulationDate, a.PopulationStatus})
	}
	if err := w.InsertRows(ctx, "geo_areas", []string{"version", "area_key", "nis", "postcode", "label", "bassin",
		"bassin_status", "population", "population_date", "population_status"}, rows); err != nil {
		return 0, err
	}
	// The version row comes last: a version is usable once it is listed.
	if err := w.InsertRows(ctx, "geo_versions", []string{"version", "content_hash", "loaded_at", "split_source", "population_source"},
		[][]any{{version, hash, time.Now(), g.SplitSource, g.PopulationSource}}); err != nil {
		return 0, fmt.Errorf("warehouse: record geography version: %w", err)
	}
	w.log.Info("reference geography stored", "version", version, "areas", len(g.Areas))
	return version, nil
}

// utcDate keeps the calendar date of a Date column, whatever the server's
// time zone.
func utcDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// SaveIndicatorValues stores a computing run's values, then the run itself:
// readers see the run only once all its values are in. Older runs beyond the
// last three are deleted.
func (w *Warehouse) SaveIndicatorValues(ctx context.Context, runID string, computedAt time.Time, geoVersion uint64, values []indicators.Value) error {
	ctx = WithRun(ctx, runID)
	const chunk = 100_000
	for start := 0; start < len(values); start += chunk {
		end := min(start+chunk, len(values))
		rows := make([][]any, 0, end-start)
		for _, v := range values[start:end] {
			popDate := v.PopulationDate
			if popDate.IsZero() {
				popDate = time.Unix(0, 0).UTC()
			}
			rows = append(rows, []any{runID, v.Indicator, v.PeriodType, v.Period, v.Level, v.Code, v.Breakdown, v.Category,
				v.Value, v.Numerator, v.Denominator, v.Estimated, v.Incomplete, v.Suppressed, popDate})
		}
		if err := w.InsertRows(ctx, "indicator_cells",
			[]string{"run_id", "indicator", "period_type", "period", "level", "code", "breakdown", "category",
				"value", "numerator", "denominator", "estimated", "incomplete", "suppressed", "population_date"}, rows); err != nil {
			return err
		}
	}
	if err := w.InsertRows(ctx, "indicator_runs", []string{"run_id", "computed_at", "geo_version", "value_count", "recorded_ns"},
		[][]any{{runID, computedAt, geoVersion, uint64(len(values)), uint64(time.Now().UnixNano())}}); err != nil {
		return fmt.Errorf("warehouse: record indicator run %s: %w", runID, err)
	}
	var keep []string
	rows, err := w.conn.Query(ctx, "SELECT run_id FROM indicator_runs ORDER BY recorded_ns DESC LIMIT 3")
	if err != nil {
		return fmt.Errorf("warehouse: list indicator runs: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("warehouse: list indicator runs: %w", err)
		}
		keep = append(keep, id)
	}
	rows.Close()
	if err := w.deleteWhere(ctx, "indicator_cells", "NOT has(?, run_id)", keep); err != nil {
		return fmt.Errorf("warehouse: delete old indicator runs: %w", err)
	}
	return nil
}

// LatestRun returns the latest computing run; an empty runID means nothing
// has been computed yet.
func (w *Warehouse) LatestRun(ctx context.Context) (runID string, computedAt time.Time, err error) {
	rows, err := w.conn.Query(ctx, "SELECT run_id, computed_at FROM indicator_runs ORDER BY recorded_ns DESC LIMIT 1")
	if err != nil {
		return "", time.Time{}, fmt.Errorf("warehouse: latest indicator run: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&runID, &computedAt); err != nil {
			return "", time.Time{}, fmt.Errorf("warehouse: latest indicator run: %w", err)
		}
	}
	return runID, computedAt, rows.Err()
}

// Values returns the values stored by a computing run.
func (w *Warehouse) Values(ctx context.Context, runID string) ([]indicators.Value, error) {
	rows, err := w.conn.Query(ctx, `SELECT indicator, period_type, period, level, code, breakdown, category,
			value, numerator, denominator, estimated, incomplete, suppressed, population_date
		FROM indicator_cells WHERE run_id = ? ORDER BY indicator, period_type, level, code, breakdown, category, period`, runID)
	if err != nil {
		return nil, fmt.Errorf("warehouse: read indicator values: %w", err)
	}
	defer rows.Close()
	var values []indicators.Value
	for rows.Next() {
		v := indicators.Value{RunID: runID}
		var popDate time.Time
		// The flags are UInt8 columns: the driver writes a bool as 1 or 0
		// and reads any other value than 0 as true.
		if err := rows.Scan(&v.Indicator, &v.PeriodType, &v.Period, &v.Level, &v.Code, &v.Breakdown, &v.Category,
			&v.Value, &v.Numerator, &v.Denominator, &v.Estimated, &v.Incomplete, &v.Suppressed, &popDate); err != nil {
			return nil, fmt.Errorf("warehouse: read indicator values: %w", err)
		}
		v.Period = utcDate(v.Period)
		if popDate.Year() > 1970 {
			v.PopulationDate = utcDate(popDate)
		}
		values = append(values, v)
	}
	return values, rows.Err()
}
