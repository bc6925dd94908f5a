package dashboards

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
)

// The fixture: 26 months of values for every indicator and geography, with a
// few values set on purpose.
var (
	firstMonth = time.Date(2023, time.January, 1, 0, 0, 0, 0, time.UTC)
	lastMonth  = time.Date(2025, time.February, 1, 0, 0, 0, 0, time.UTC)
	computedAt = time.Date(2025, time.March, 3, 5, 30, 0, 0, time.UTC) // 06:30 in Brussels
)

const (
	// Contacts of bassin Nord in the last month and the month before: the
	// page must show "1 234" and "+23,4 %".
	nordContactsLast = 1234
	nordContactsPrev = 1000
	// suppressedCount is below the snapshot's MinCount: its number must never
	// reach a page.
	suppressedCount = 3
	// suppressedTDIMonth is the month (index from firstMonth) when bassin
	// Nord's treatment demands are suppressed.
	suppressedTDIMonth = 10
	// suppressedCommune has suppressed contacts in the last month.
	suppressedCommune = "21010" // Jette, in bassin Nord
)

// fixtureNumerators names, for each indicator with a denominator shown
// monthly, the count of the fixture that is its numerator.
var fixtureNumerators = map[string]string{
	"contacts_per_10k":    "contacts",
	"services_per_10k":    "services",
	"referral_share":      "referrals",
	"contacts_per_person": "contacts",
	"completeness_share":  "deliveries_received",
	"timeliness_share":    "deliveries_received",
}

// fixturePopulationDate is the reference date of the rates' populations.
var fixturePopulationDate = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// testSnapshot builds the fixture snapshot: a value for every indicator of
// the default catalogue that has a monthly total, and for two federations
// of each measure kept apart by federation.
func testSnapshot(t *testing.T) *indicators.Snapshot {
	t.Helper()
	geo := testGeography(t)
	cat, err := catalogue.Load(catalogue.Default())
	if err != nil {
		t.Fatal(err)
	}
	type place struct{ level, code string }
	places := []place{{geography.LevelRegion, geography.RegionCode}}
	for _, b := range geo.Bassins {
		places = append(places, place{geography.LevelBassin, b.Code})
	}
	for _, c := range geo.Communes {
		places = append(places, place{geography.LevelCommune, c.NIS})
	}
	var values []indicators.Value
	for pi, pl := range places {
		pop, estimated := geo.Population(pl.level, pl.code)
		for mi, m := 0, firstMonth; !m.After(lastMonth); mi, m = mi+1, m.AddDate(0, 1, 0) {
			value := func(d catalogue.Indicator, n float64) indicators.Value {
				return indicators.Value{Indicator: d.ID, PeriodType: catalogue.Month, Level: pl.level, Code: pl.code, Period: m,
					Value: n, Numerator: n, RunID: "run-test", Estimated: estimated}
			}
			counts := map[string]float64{}
			for di, d := range cat.Indicators {
				if d.Kind() != catalogue.KindCount || !slices.Contains(d.Periods, catalogue.Month) {
					continue
				}
				n := float64(100 + 10*pi + 2*mi + di)
				switch {
				case pl.level == geography.LevelBassin && pl.code == "nord" && d.ID == "contacts" && m.Equal(lastMonth):
					n = nordContactsLast
				case pl.level == geography.LevelBassin && pl.code == "nord" && d.ID == "contacts" && m.Equal(lastMonth.AddDate(0, -1, 0)):
					n = nordContactsPrev
				case pl.level == geography.LevelBassin && pl.code == "nord" && d.ID == "naloxone" && m.Equal(lastMonth):
					n = suppressedCount
				case pl.level == geography.LevelBassin && pl.code == "nord" && d.ID == "treatment_demands" && mi == suppressedTDIMonth:
					n = suppressedCount
				case pl.level == geography.LevelCommune && pl.code == suppressedCommune && d.ID == "contacts" && m.Equal(lastMonth):
					n = suppressedCount
				}
				if !d.HasTotal() {
					// Two federations, each its own value; no total.
					for fi, fed := range []string{"fedito", "fedbru"} {
						v := value(d, n+float64(fi))
						v.Breakdown, v.Category = d.Breakdowns[0], fed
						values = append(values, v)
					}
					continue
				}
				counts[d.ID] = n
				values = append(values, value(d, n))
			}
			for _, d := range cat.Indicators {
				if d.Denominator == nil || !d.HasTotal() || !slices.Contains(d.Periods, catalogue.Month) {
					continue
				}
				num, ok := fixtureNumerators[d.ID]
				if !ok {
					t.Fatalf("fixture: no numerator for %s: add it to fixtureNumerators", d.ID)
				}
				v := value(d, 0)
				v.Numerator = counts[num]
				switch d.Kind() {
				case catalogue.KindRate:
					if pop == 0 {
						continue
					}
					v.Denominator, v.PopulationDate = float64(pop), fixturePopulationDate
				default:
					v.Denominator = counts[d.Denominator.Indicator]
				}
				v.Value = v.Numerator / v.Denominator * d.Factor
				values = append(values, v)
			}
		}
	}
	return indicators.NewSnapshot("run-test", computedAt, geo, cat, 5, values)
}

// testGeography loads the embedded reference geography.
func testGeography(t *testing.T) *geography.Geography {
	t.Helper()
	geo, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	return geo
}

// testStore stores the snapshot's values, runs and loads in a real warehouse
// (a ClickHouse server started the way the product starts it) and returns
// the reader the dashboards are served from.
func testStore(t *testing.T, snap *indicators.Snapshot, runs []warehouse.JobRun, loads []warehouse.Load) Store {
	t.Helper()
	wh, _ := warehousetest.Open(t)
	ctx := t.Context()
	if snap.RunID != "" {
		if err := wh.SaveIndicatorValues(ctx, snap.RunID, snap.ComputedAt, 1, snap.Values); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range runs {
		if err := wh.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range loads {
		if err := wh.RecordLoad(ctx, l); err != nil {
			t.Fatal(err)
		}
		if err := wh.InsertQuarantine(ctx, testQuarantine()[l.LoadID]); err != nil {
			t.Fatal(err)
		}
	}
	return warehouse.NewReader(wh, snap.Geography, snap.MinCount, nil)
}

// unavailableStore is a reader whose server connection is closed: every read
// fails, as when ClickHouse is down.
func unavailableStore(t *testing.T) Store {
	t.Helper()
	wh, _ := warehousetest.Open(t)
	wh.Close()
	return warehouse.NewReader(wh, testGeography(t), 5, nil)
}

func testRuns() []warehouse.JobRun {
	return []warehouse.JobRun{
		{RunID: "run-test", Job: "compute_indicators", StartedAt: computedAt.Add(-2 * time.Minute), FinishedAt: computedAt,
			Status: "ok", Rows: 12345},
		{RunID: "run-fail", Job: "load_contacts", StartedAt: computedAt.Add(-time.Hour), FinishedAt: computedAt.Add(-59 * time.Minute),
			Status: "failed", Message: "dial https://clickhouse.internal:8443: connection refused"},
		{RunID: "run-now", Job: "load_tdi", StartedAt: computedAt.Add(time.Minute), Status: "running"},
		{RunID: "run-stopped", Job: "weekly_report", StartedAt: computedAt.Add(-2 * time.Hour), FinishedAt: computedAt.Add(-110 * time.Minute),
			Status: warehouse.RunCancelled, AsOf: computedAt.Add(-2 * time.Hour), Attempt: 1},
		// A catch-up of the run due on 1 March at 06:00 (Brussels), second
		// attempt, left running by a process that died.
		{RunID: "run-died", Job: "monthly_report", StartedAt: computedAt.Add(-3 * time.Hour), FinishedAt: computedAt.Add(-170 * time.Minute),
			Status: warehouse.RunInterrupted, AsOf: time.Date(2025, time.March, 1, 5, 0, 0, 0, time.UTC), Attempt: 2},
	}
}

// errDown is what a store that cannot reach its server answers; it names an
// internal address, which pages must never show.
var errDown = errors.New("dial tcp 10.20.30.40:9000: connect: connection refused")

// flakyStore is a store on a real warehouse whose reads fail on demand, as
// when the ClickHouse server stops answering and comes back.
type flakyStore struct {
	Store
	// snapshotDown fails Snapshot; recordsDown fails the reads of the
	// activity page; snapshotHangs makes Snapshot wait for the end of its
	// context, as a server that accepts the connection and never answers.
	snapshotDown, recordsDown, snapshotHangs atomic.Bool
}

// setDown makes every read fail, or succeed again.
func (f *flakyStore) setDown(down bool) {
	f.snapshotDown.Store(down)
	f.recordsDown.Store(down)
}

func (f *flakyStore) Snapshot(ctx context.Context) (*indicators.Snapshot, error) {
	if f.snapshotDown.Load() {
		return nil, errDown
	}
	if f.snapshotHangs.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return f.Store.Snapshot(ctx)
}

func (f *flakyStore) RecentRuns(ctx context.Context, limit int) ([]warehouse.JobRun, error) {
	if f.recordsDown.Load() {
		return nil, errDown
	}
	return f.Store.RecentRuns(ctx, limit)
}

func (f *flakyStore) RecentLoads(ctx context.Context, limit int) ([]warehouse.Load, error) {
	if f.recordsDown.Load() {
		return nil, errDown
	}
	return f.Store.RecentLoads(ctx, limit)
}

func (f *flakyStore) QuarantineSample(ctx context.Context, loadIDs []uint64, perLoad int) (map[uint64][]warehouse.QuarantinedRow, error) {
	if f.recordsDown.Load() {
		return nil, errDown
	}
	return f.Store.QuarantineSample(ctx, loadIDs, perLoad)
}

func (f *flakyStore) Deliveries(ctx context.Context) ([]warehouse.Delivery, error) {
	if f.recordsDown.Load() {
		return nil, errDown
	}
	return f.Store.Deliveries(ctx)
}

func testLoads() []warehouse.Load {
	return []warehouse.Load{
		{LoadID: 1, Source: "combo", Dataset: "contacts", File: "combo_2025-02.csv", RowsRead: 2049, RowsLoaded: 2048,
			RowsStored: 2048, RowsQuarantined: 1, LoadedAt: computedAt.Add(-3 * time.Hour), Status: "loaded",
			Months: []time.Time{time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}},
		{LoadID: 2, Source: "fedito", Dataset: "federation_activity", File: "fedito_2025.xlsx", RowsRead: 40, RowsQuarantined: 30,
			LoadedAt: computedAt.Add(-4 * time.Hour), Status: "rejected",
			Message: "fedito_2025.xlsx: 30 of 40 rows quarantined (75.0 %, above the 10.0 % the source accepts): the whole delivery is refused"},
	}
}

// testQuarantine holds rows set aside from the test loads; their values must
// never reach a page.
func testQuarantine() map[uint64][]warehouse.QuarantinedRow {
	return map[uint64][]warehouse.QuarantinedRow{
		1: {{LoadID: 1, Source: "combo", File: "combo_2025-02.csv", Line: 7, Raw: `{"date":"2025-02-03","postcode":"1300"}`,
			Reasons: []warehouse.Reason{{Code: "outside", Field: "postcode", Column: "cp", Value: "1300"}}}},
		2: {{LoadID: 2, Source: "fedito", File: "fedito_2025.xlsx", Line: 12, Raw: "31/02/2025;S01;Jean Dupont 85.07.30-033.61",
			Reasons: []warehouse.Reason{{Code: "date_invalid", Field: "period", Column: "Période", Value: "31/02/2025"},
				{Code: "negative", Field: "hours", Column: "Heures", Value: "-3"}}}},
	}
}

// testDeliveries: combo delivered every month from 2024-04 to 2025-03 but
// May 2024; tdi started in 2024-12 and missed March 2025.
func testDeliveries() []warehouse.Delivery {
	var out []warehouse.Delivery
	for m := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC); !m.After(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)); m = m.AddDate(0, 1, 0) {
		if m.Month() != time.May {
			out = append(out, warehouse.Delivery{Source: "combo", Dataset: "contacts", Period: m, Lines: 1500})
		}
		if !m.Before(time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)) && m.Month() != time.March {
			out = append(out, warehouse.Delivery{Source: "tdi", Dataset: "treatment_demands", Period: m, Lines: 120})
		}
	}
	return out
}

// brussels is the time zone of the pages in the tests, the default one of the
// product's configuration.
func brussels() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic(err) // unreachable: time/tzdata is linked in
	}
	return loc
}
