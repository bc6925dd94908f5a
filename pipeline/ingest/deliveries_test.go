package ingest_test

import (
	"bytes"
	"fmt"
	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/compute"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/ingest"
	"github.com/brusano/bassins/pipeline/privacy"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/managed"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
	"github.com/brusano/bassins/sources"
)

// deliveryDay is when the test deliveries arrive: later dates are refused.
var deliveryDay = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

// bench is a warehouse, an inbox and an ingest job over the given sources.
type bench struct {
	t     *testing.T
	wh    *warehouse.Warehouse
	srv   *managed.Server
	inbox string
	job   *ingest.Job
	geo   uint64
	g     *geography.Geography
}

func newBench(t *testing.T, specs ...sources.Spec) *bench {
	t.Helper()
	wh, srv := warehousetest.Open(t)
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	version, err := wh.SaveGeography(t.Context(), g)
	if err != nil {
		t.Fatal(err)
	}
	p, err := privacy.New([]byte("ingest-test-secret-0123"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		if ps := s.Validate(); len(ps) > 0 {
			t.Fatalf("spec %s: %v", s.Name, ps)
		}
	}
	inbox := t.TempDir()
	job := ingest.New(ingest.Options{Warehouse: wh, Sources: specs, Inbox: inbox, StateDir: t.TempDir(),
		Pseudonymiser: p, Geography: g, ChunkRows: 3})
	return &bench{t: t, wh: wh, srv: srv, inbox: inbox, job: job, geo: version, g: g}
}

// deliver writes a file into the inbox, its modification time a second
// after the previous delivery's, as files arrive one after the other.
func (b *bench) deliver(name string, body []byte) {
	b.t.Helper()
	path := filepath.Join(b.inbox, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		b.t.Fatal(err)
	}
	deliveredAt = deliveredAt.Add(time.Second)
	if err := os.Chtimes(path, deliveredAt, deliveredAt); err != nil {
		b.t.Fatal(err)
	}
}

var deliveredAt = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

func (b *bench) run() ingest.Result {
	b.t.Helper()
	res, err := b.job.Run(b.t.Context(), deliveryDay, "run")
	if err != nil {
		b.t.Fatalf("ingest: %v (%+v)", err, res)
	}
	return res
}

// totals returns the monthly value of each indicator of the default
// catalogue for a level and code, per month ("2025-03"), as the computation
// makes them; an indicator kept apart by federation is added up here.
func (b *bench) totals(level, code string) map[string]float64 {
	b.t.Helper()
	return b.totalsFrom(b.wh, level, code)
}

// totalsFrom returns the totals as computed by a warehouse.
func (b *bench) totalsFrom(wh *warehouse.Warehouse, level, code string) map[string]float64 {
	b.t.Helper()
	cat, err := catalogue.Load(catalogue.Default())
	if err != nil {
		b.t.Fatal(err)
	}
	cells, err := compute.Gather(b.t.Context(), wh, cat, b.g, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	values := compute.Derive(compute.Input{Catalogue: cat, Geography: b.g}, cells)
	out := map[string]float64{}
	for _, v := range values {
		if v.Level == level && v.Code == code && v.PeriodType == catalogue.Month && (v.Breakdown == "" || v.Breakdown == "federation") {
			out[v.Indicator+" "+v.Period.Format("2006-01")] += v.Value
		}
	}
	return out
}

// checkPartials checks the Region's totals, computed twice from the
// partials (the first computation may build some), against those written by
// hand and those computed from the rows alone.
func (b *bench) checkPartials(when string, want map[string]float64) {
	b.t.Helper()
	rows, err := warehouse.Open(b.t.Context(), warehouse.Options{Addr: b.srv.Addr(), Database: warehousetest.Database,
		User: b.srv.User(), Password: b.srv.Password(), ReadRows: true})
	if err != nil {
		b.t.Fatal(err)
	}
	defer rows.Close()
	fromRows := b.totalsFrom(rows, geography.LevelRegion, geography.RegionCode)
	checkTotals(b.t, when+", from the rows", fromRows, want)
	for _, run := range []string{"first", "second"} {
		got := b.totals(geography.LevelRegion, geography.RegionCode)
		checkTotals(b.t, when+", "+run+" computation from partials", got, want)
		if !maps.Equal(got, fromRows) {
			b.t.Errorf("%s: %s computation from partials %v, from the rows %v", when, run, got, fromRows)
		}
	}
}

// conn opens a connection of its own to the test's database.
func (b *bench) conn() driver.Conn {
	b.t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{b.srv.Addr()},
		Auth: clickhouse.Auth{Database: warehousetest.Database, Username: b.srv.User(), Password: b.srv.Password()}})
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func teamLog(replace string) sources.Spec {
	return sources.Spec{Name: "combo", Path: "combo/*.jsonl", Format: "jsonl", Dataset: "contacts", Replace: replace,
		Constants: map[string]string{"team": "COMBO"},
		Fields: sources.Columns(map[string]string{"record_id": "id", "contact_date": "date", "postcode": "postcode",
			"person_key": "person", "referral_destination": "orientation", "syringes": "syringes"})}
}

// contact is one line of a team's log.
func contact(id, date, postcode, person, orientation string, syringes int) string {
	return fmt.Sprintf(`{"id":%q,"date":%q,"postcode":%q,"person":%q,"orientation":%q,"syringes":%d}`+"\n",
		id, date, postcode, person, orientation, syringes)
}

func TestJSONLinesWithISOTimestampsIDsAndACorrectedRedeliveryUnderANewName(t *testing.T) {
	spec := teamLog(sources.ReplaceMonths)
	half := 0.5 // a short log: two bad lines of seven are tolerated
	spec.MaxRejectedShare = &half
	b := newBench(t, spec)
	first := contact("c1", "2025-03-08T15:28:00+01:00", "1000", "P-1", "CPAS", 2) +
		// 23:30 UTC on 8 March is 00:30 on the 9th in Brussels.
		contact("c2", "2025-03-08T23:30:00Z", "1030", "P-2", "", 0) +
		contact("c3", "2025-03-31T21:30:00Z", "1060", "P-3", "", 1) +
		contact("c1", "2025-03-08T15:28:00+01:00", "1000", "P-1", "CPAS", 2) + // delivered twice: counts once
		contact("c4", "2025-03-10", "1180", "P-4", "", 0) +
		contact("c4", "2025-03-11", "1180", "P-4", "", 0) + // same id, other content: both set aside
		contact("c5", "2025-04-02", "1000", "P-5", "", 0)
	b.deliver("combo/combo-2025-03.jsonl", []byte(first))
	res := b.run()
	if res.Loaded != 1 || res.Quarantined != 2 {
		t.Fatalf("first delivery: %+v, want loaded with 2 rows quarantined", res)
	}
	// Counted by hand: March holds c1, c2, c3 (c4 is quarantined); April c5.
	want := map[string]float64{"contacts 2025-03": 3, "referrals 2025-03": 1, "syringes 2025-03": 3, "persons 2025-03": 3,
		"contacts 2025-04": 1, "referrals 2025-04": 0, "syringes 2025-04": 0, "persons 2025-04": 1}
	checkTotals(t, "first delivery", b.totals(geography.LevelRegion, geography.RegionCode), want)
	loads, err := b.wh.Loads(t.Context(), warehouse.LoadFilter{})
	if err != nil || len(loads) != 1 {
		t.Fatal(loads, err)
	}
	if l := loads[0]; l.RowsRead != 7 || l.RowsDuplicate != 1 || l.RowsQuarantined != 2 || l.RowsLoaded != 4 || len(l.Months) != 2 {
		t.Errorf("first load %+v, want 7 read, 1 duplicate, 2 quarantined, 4 loaded, 2 months", l)
	}
	q, err := b.wh.Quarantine(t.Context(), warehouse.QuarantineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[0].Line != 5 || q[1].Line != 6 || q[0].Reasons[0].Code != sources.ProblemDuplicateID ||
		q[0].Reasons[0].Detail != "6" || q[1].Reasons[0].Detail != "5" {
		t.Errorf("quarantine %+v, want lines 5 and 6 naming each other", q)
	}

	// The team sends March again under a new name: c2 was a mistake, c6 was
	// forgotten. Only March is replaced; April stays.
	corrected := contact("c1", "2025-03-08T15:28:00+01:00", "1000", "P-1", "CPAS", 2) +
		contact("c3", "2025-03-31T21:30:00Z", "1060", "P-3", "", 1) +
		contact("c6", "2025-03-20", "1050", "P-6", "Projet Lama", 4)
	b.deliver("combo/combo-2025-03.corrected.jsonl", []byte(corrected))
	if res := b.run(); res.Loaded != 1 || res.Skipped != 1 {
		t.Fatalf("corrected delivery: %+v", res)
	}
	want = map[string]float64{"contacts 2025-03": 3, "referrals 2025-03": 2, "syringes 2025-03": 7, "persons 2025-03": 3,
		"contacts 2025-04": 1, "referrals 2025-04": 0, "syringes 2025-04": 0, "persons 2025-04": 1}
	checkTotals(t, "after the correction", b.totals(geography.LevelRegion, geography.RegionCode), want)

	// Withdrawn, the correction no longer counts and March is the first
	// delivery's again.
	loads, err = b.wh.Loads(t.Context(), warehouse.LoadFilter{})
	if err != nil || len(loads) != 2 {
		t.Fatal(loads, err)
	}
	if !loads[1].Replaced() && len(loads[1].ReplacedMonths) != 1 {
		t.Errorf("the first load's March must show as replaced: %+v", loads[1])
	}
	if _, err := b.wh.Retract(t.Context(), loads[0].LoadID, "sent by mistake"); err != nil {
		t.Fatal(err)
	}
	want = map[string]float64{"contacts 2025-03": 3, "referrals 2025-03": 1, "syringes 2025-03": 3, "persons 2025-03": 3,
		"contacts 2025-04": 1, "referrals 2025-04": 0, "syringes 2025-04": 0, "persons 2025-04": 1}
	checkTotals(t, "after the retraction", b.totals(geography.LevelRegion, geography.RegionCode), want)
	if res := b.run(); res.Loaded != 0 || res.Skipped != 2 {
		t.Errorf("a retracted delivery must not load again: %+v", res)
	}
}

func TestTheSameIDInALaterDeliveryCountsOnceTheLatestWinning(t *testing.T) {
	b := newBench(t, teamLog(sources.ReplaceNone))
	b.deliver("combo/a.jsonl", []byte(contact("c1", "2025-03-08", "1000", "P-1", "", 5)+contact("c2", "2025-03-09", "1000", "P-2", "", 1)))
	b.run()
	b.deliver("combo/b.jsonl", []byte(contact("c1", "2025-03-08", "1000", "P-1", "", 7)+contact("c9", "2025-03-10", "1000", "P-9", "", 1)))
	b.run()
	// c1 counts once, with the later delivery's 7 syringes.
	checkTotals(t, "two deliveries", b.totals(geography.LevelRegion, geography.RegionCode),
		map[string]float64{"contacts 2025-03": 3, "syringes 2025-03": 9, "persons 2025-03": 3, "referrals 2025-03": 0})
}

func TestAWholeLineOverTheLimitDoesNotBlockTheNextFile(t *testing.T) {
	b := newBench(t, teamLog(sources.ReplaceFile))
	var big bytes.Buffer
	for i := range 20 {
		big.WriteString(contact(fmt.Sprint("a", i), "2025-03-08", "1000", fmt.Sprint("P-", i), "", 1))
	}
	// A 20 MB line in the middle of the file.
	big.WriteString(`{"id":"huge","date":"2025-03-08","postcode":"1000","person":"P-X","orientation":"` +
		strings.Repeat("x", 20<<20) + "\"}\n")
	big.WriteString(contact("a20", "2025-03-08", "1000", "P-20", "", 1))
	b.deliver("combo/a.jsonl", big.Bytes())
	b.deliver("combo/b.jsonl", []byte(contact("b1", "2025-03-09", "1000", "P-B", "", 1)))
	res := b.run()
	if res.Loaded != 2 || res.Quarantined != 1 {
		t.Fatalf("result %+v, want both files loaded, the long line quarantined", res)
	}
	checkTotals(t, "", b.totals(geography.LevelRegion, geography.RegionCode),
		map[string]float64{"contacts 2025-03": 22, "syringes 2025-03": 22, "persons 2025-03": 22, "referrals 2025-03": 0})
	q, err := b.wh.Quarantine(t.Context(), warehouse.QuarantineFilter{})
	if err != nil || len(q) != 1 {
		t.Fatal(q, err)
	}
	if q[0].Line != 21 || q[0].Reasons[0].Code != sources.ProblemLineTooLong || len(q[0].Raw) > 4096 || strings.Contains(q[0].Raw, "P-X") {
		t.Errorf("quarantined %d %+v (raw %d bytes), want line 21 too long, raw cut to 4 KiB without the person", q[0].Line, q[0].Reasons, len(q[0].Raw))
	}
}

// federationExport is a FEDITO-like export as Belgian Excel writes it.
func federationExport() sources.Spec {
	return sources.Spec{Name: "fedito", Path: "fedito/*.csv", Format: "csv", Dataset: "federation_activity",
		Delimiter: ";", Encoding: "windows-1252", DecimalComma: true, DateFormat: "dd/mm/yyyy", MaxLineBytes: 1024,
		Constants: map[string]string{"federation": "FEDITO BXL"},
		Fields: sources.Columns(map[string]string{"period": "Période", "service_id": "Code service",
			"service_name": "Nom du service", "postcode": "Code postal"}),
		Measures: map[string]string{"consultations": "Consultations", "hours": "Heures prestées"}}
}

func TestAMessyFederationExportLoadsItsGoodRowsWithExactSums(t *testing.T) {
	b := newBench(t, federationExport())
	// The bassin of each postcode, written by hand from the reference
	// geography: Laeken is Nord, 1000 Centre-Ouest, Saint-Gilles and Uccle
	// Sud, Schaerbeek Nord-Est, Etterbeek Sud-Est.
	bassinOf := map[string]string{"1020": "nord", "1000": "centre-ouest", "1060": "sud", "1180": "sud", "1030": "nord-est", "1040": "sud-est"}
	postcodes := []string{"1020", "1000", "1060", "1180", "1030", "1040"}
	var text strings.Builder
	text.WriteString("Période;Code service;Nom du service;Code postal;Consultations;Heures prestées\r\n")
	type sums struct{ consultations, hours float64 }
	want := map[string]*sums{}
	for i := range 150 {
		pc := postcodes[i%len(postcodes)]
		consultations := 1000 + 7*i // written with a thousands dot
		hours := float64(i) + 0.25
		name := fmt.Sprintf("Service %d", i)
		switch i % 3 {
		case 0:
			name = fmt.Sprintf(`"Centre ""Évasion"" %d; antenne"`, i) // a quoted ;, quotes
		case 1:
			name = fmt.Sprintf("\"Maison d'accueil\r\nLe Pont %d\"", i) // a newline inside quotes
		}
		fmt.Fprintf(&text, "15/03/2025;S%03d;%s;%s;%d.%03d;%d,25\r\n", i, name, pc, consultations/1000, consultations%1000, i)
		s := want[bassinOf[pc]]
		if s == nil {
			s = &sums{}
			want[bassinOf[pc]] = s
		}
		s.consultations += float64(consultations)
		s.hours += hours
	}
	// One bad row per rule.
	bad := []string{
		"05/03/2025;;Sans code;1000;1;1",                            // required
		"05/03/2025;B02;Négatif;1000;-3;1",                          // negative count
		"05/03/2031;B03;Futur;1000;1;1",                             // after the delivery day
		"05/03/1999;B04;Ancien;1000;1;1",                            // before the start
		"31/02/2025;B05;Jour absent;1000;1;1",                       // a day that does not exist
		"mars 2025;B06;Mois en lettres;1000;1;1",                    // not a date
		"05/03/2025;B07;Wavre;1300;1;1",                             // outside the Region
		"05/03/2025;B08;Code postal;10000;1;1",                      // not a postcode
		"05/03/2025;B09;Tronquée",                                   // a truncated line
		"05/03/2025;B10;En trop;1000;1;1;9",                         // an extra cell
		"05/03/2025;B11;Douze;1000;douze;1",                         // not a number
		"05/03/2025;B12;" + strings.Repeat("n", 5000) + ";1000;1;1", // a value over 4 KiB, a line over 1 KiB
	}
	for _, l := range bad {
		text.WriteString(l + "\r\n")
	}
	text.WriteString(";;;;;\r\n\r\n\r\n") // Excel's trailing lines
	encoded, err := charmap.Windows1252.NewEncoder().Bytes([]byte(text.String()))
	if err != nil {
		t.Fatal(err)
	}
	b.deliver("fedito/export-2025-03.csv", encoded)
	res := b.run()
	if res.Loaded != 1 || res.Quarantined != uint64(len(bad)) {
		t.Fatalf("result %+v, want the export loaded with %d rows quarantined", res, len(bad))
	}
	for bassin, s := range want {
		got := b.totals(geography.LevelBassin, bassin)
		if got["federation_consultations 2025-03"] != s.consultations || fmt.Sprintf("%.2f", got["federation_hours 2025-03"]) != fmt.Sprintf("%.2f", s.hours) {
			t.Errorf("bassin %s: consultations %v hours %v, want %v and %.2f", bassin,
				got["federation_consultations 2025-03"], got["federation_hours 2025-03"], s.consultations, s.hours)
		}
	}
	q, err := b.wh.Quarantine(t.Context(), warehouse.QuarantineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, r := range q {
		for _, x := range r.Reasons {
			codes[x.Code] = true
		}
	}
	for _, c := range []string{sources.ProblemRequired, sources.ProblemNegative, sources.ProblemDateFuture, sources.ProblemDateEarly,
		sources.ProblemDateInvalid, sources.ProblemDate, sources.ProblemOutside, sources.ProblemPostcode, sources.ProblemCells,
		sources.ProblemNumber, sources.ProblemLineTooLong} {
		if !codes[c] {
			t.Errorf("no quarantined row with reason %s (got %v)", c, codes)
		}
	}
}

func checkTotals(t *testing.T, when string, got, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %v, want %v", when, k, got[k], v)
		}
	}
}

func TestAnExcelWorkbookLoadsItsChosenSheet(t *testing.T) {
	spec := federationExport()
	spec.Path, spec.Format, spec.Encoding, spec.Delimiter, spec.DecimalComma, spec.DateFormat = "fedito/*.xlsx", "xlsx", "", "", false, ""
	spec.Sheet, spec.SkipRows = "Activité", 1
	half := 0.5 // one row of three is outside the Region
	spec.MaxRejectedShare = &half
	b := newBench(t, spec)
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet("Activité"); err != nil {
		t.Fatal(err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // shown as a date, stored as a serial number
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{"Rapport d'activité FEDITO — mars 2025"},
		{"Période", "Code service", "Nom du service", "Code postal", "Consultations", "Heures prestées"},
		{time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC), "S01", "Centre", "1020", 120, 152.5},
		{time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), "S02", "", "1060", 30, nil},      // empty name, no hours
		{time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC), "S03", "Antenne", "1300", 8, 3}, // outside the Region
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Activité", cell, &r); err != nil {
			t.Fatal(err)
		}
		if i >= 2 {
			a, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetCellStyle("Activité", a, a, dateStyle); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The first sheet holds something else, and is not read.
	if err := f.SetSheetRow("Sheet1", "A1", &[]any{"Période", "Code service"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	b.deliver("fedito/activite-2025-03.xlsx", buf.Bytes())
	res := b.run()
	if res.Loaded != 1 || res.Quarantined != 1 {
		t.Fatalf("result %+v; want the workbook loaded with one row quarantined", res)
	}
	checkTotals(t, "Nord", b.totals(geography.LevelBassin, "nord"),
		map[string]float64{"federation_consultations 2025-03": 120, "federation_hours 2025-03": 152.5})
	checkTotals(t, "Sud", b.totals(geography.LevelBassin, "sud"), map[string]float64{"federation_consultations 2025-03": 30})
	if got := b.totals(geography.LevelBassin, "sud"); got["federation_hours 2025-03"] != 0 {
		t.Errorf("Sud hours %v, want none", got["federation_hours 2025-03"])
	}
	q, err := b.wh.Quarantine(t.Context(), warehouse.QuarantineFilter{})
	if err != nil || len(q) != 1 || q[0].Line != 5 || q[0].Reasons[0].Code != sources.ProblemOutside {
		t.Fatalf("quarantine %+v, %v; want sheet row 5 outside the Region", q, err)
	}
}

// TestPartialsFollowReplacementsRetractionsAndTheirOwnBuilds: each load's
// partials give the values of the rows through a replacement of a month, a
// retraction, a record delivered again, a build interrupted before its
// record and a second build of the same load.
func TestPartialsFollowReplacementsRetractionsAndTheirOwnBuilds(t *testing.T) {
	unkeyed := teamLog(sources.ReplaceMonths)
	delete(unkeyed.Fields, sources.RecordIDField)
	keyed := teamLog(sources.ReplaceNone)
	keyed.Name, keyed.Path = "renfort", "renfort/*.jsonl"
	b := newBench(t, unkeyed, keyed)
	b.deliver("combo/2025-01.jsonl", []byte(contact("", "2025-01-05", "1000", "P-1", "", 2)+
		contact("", "2025-01-20", "1030", "P-2", "", 3)+contact("", "2025-02-03", "1000", "P-1", "", 1)))
	b.deliver("renfort/a.jsonl", []byte(contact("r1", "2025-01-07", "1000", "P-9", "", 4)))
	if res := b.run(); res.Loaded != 2 {
		t.Fatalf("first run: %+v", res)
	}
	// January: P-1, P-2 and P-9; February: P-1.
	b.checkPartials("first deliveries", map[string]float64{"contacts 2025-01": 3, "syringes 2025-01": 9, "persons 2025-01": 3,
		"contacts 2025-02": 1, "syringes 2025-02": 1, "persons 2025-02": 1})

	// February delivered again: P-3 twice. r1 delivered again, with 6
	// syringes.
	b.deliver("combo/2025-02.jsonl", []byte(contact("", "2025-02-03", "1000", "P-3", "", 4)+
		contact("", "2025-02-04", "1210", "P-3", "", 1)))
	b.deliver("renfort/b.jsonl", []byte(contact("r1", "2025-01-07", "1000", "P-9", "", 6)))
	if res := b.run(); res.Loaded != 2 {
		t.Fatalf("second run: %+v", res)
	}
	b.checkPartials("February replaced", map[string]float64{"contacts 2025-01": 3, "syringes 2025-01": 11, "persons 2025-01": 3,
		"contacts 2025-02": 2, "syringes 2025-02": 5, "persons 2025-02": 1})

	// The replacing delivery withdrawn: February is the first one's again.
	loads, err := b.wh.Loads(t.Context(), warehouse.LoadFilter{Source: "combo"})
	if err != nil || len(loads) != 2 {
		t.Fatalf("%d loads of combo (%v)", len(loads), err)
	}
	if _, err := b.wh.Retract(t.Context(), loads[0].LoadID, "test"); err != nil {
		t.Fatal(err)
	}
	b.checkPartials("replacement retracted", map[string]float64{"contacts 2025-01": 3, "syringes 2025-01": 11, "persons 2025-01": 3,
		"contacts 2025-02": 1, "syringes 2025-02": 1, "persons 2025-02": 1})

	// A build interrupted before its record (build 1), and a second build
	// recorded after the first one: neither counts.
	conn := b.conn()
	for _, q := range []string{
		`INSERT INTO cell_partials (spec, build, load_id, month, area_key, category, bucket, sums)
			SELECT spec, 1, load_id, month, area_key, category, bucket, sums FROM cell_partials`,
		`INSERT INTO visit_partials (spec, build, load_id, month, area_key, categories, value, conds)
			SELECT spec, 1, load_id, month, area_key, categories, value, conds FROM visit_partials`,
		`INSERT INTO cell_partials (spec, build, load_id, month, area_key, category, bucket, sums)
			SELECT spec, 18446744073709551615, load_id, month, area_key, category, bucket, sums FROM cell_partials WHERE build != 1`,
		`INSERT INTO visit_partials (spec, build, load_id, month, area_key, categories, value, conds)
			SELECT spec, 18446744073709551615, load_id, month, area_key, categories, value, conds FROM visit_partials WHERE build != 1`,
		`INSERT INTO partial_builds (spec, load_id, build, keyed, built_at)
			SELECT spec, load_id, 18446744073709551615, keyed, built_at FROM partial_builds`,
	} {
		if err := conn.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	b.checkPartials("builds interrupted and repeated", map[string]float64{"contacts 2025-01": 3, "syringes 2025-01": 11, "persons 2025-01": 3,
		"contacts 2025-02": 1, "syringes 2025-02": 1, "persons 2025-02": 1})
}

// TestPartialsOfQueriesNoLongerAskedAreDeleted: the maintenance keeps the
// partials the catalogue reads, and deletes those of a query it changed.
func TestPartialsOfQueriesNoLongerAskedAreDeleted(t *testing.T) {
	spec := teamLog(sources.ReplaceMonths)
	delete(spec.Fields, sources.RecordIDField)
	b := newBench(t, spec)
	b.deliver("combo/2025-01.jsonl", []byte(contact("", "2025-01-05", "1000", "P-1", "", 2)+
		contact("", "2025-01-20", "1030", "P-2", "", 0)))
	b.run()
	ctx := t.Context()
	conn := b.conn()
	specs := func() []uint64 {
		t.Helper()
		var out []uint64
		rows, err := conn.Query(ctx, "SELECT DISTINCT spec FROM partial_builds ORDER BY spec")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s uint64
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	computed := func(cat *catalogue.Catalogue) []uint64 {
		t.Helper()
		if _, err := compute.Gather(ctx, b.wh, cat, b.g, nil); err != nil {
			t.Fatal(err)
		}
		keep, err := compute.PartialSpecs(cat)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(keep)
		return keep
	}
	def, err := catalogue.Load(catalogue.Default())
	if err != nil {
		t.Fatal(err)
	}
	// Only datasets with deliveries (here the contacts) have partials.
	subset := func(got, of []uint64) bool {
		for _, s := range got {
			if !slices.Contains(of, s) {
				return false
			}
		}
		return len(got) > 0
	}
	keep := computed(def)
	if got := specs(); !subset(got, keep) {
		t.Fatalf("partials built %v, not all the catalogue's %v", got, keep)
	}
	if n, err := b.wh.DeletePartialsExcept(ctx, keep); err != nil || n != 0 {
		t.Fatalf("%d specs deleted (%v), want none", n, err)
	}
	// One more count of contacts, without breakdown: the query of the
	// contacts' totals changes, and with it its partials.
	extra := filepath.Join(t.TempDir(), "extra.yaml")
	if err := os.WriteFile(extra, []byte(`indicators:
  - id: contacts_with_syringes
    theme: outreach
    name: {fr: Contacts avec seringues, nl: Contacten met spuiten}
    definition: {fr: "Contacts où des seringues ont été données.", nl: "Contacten waarbij spuiten gegeven werden."}
    unit: {fr: contacts, nl: contacten}
    numerator: {dataset: contacts, aggregate: count, filters: [{field: syringes, op: ">=", value: "1"}]}
    periods: [month]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := catalogue.LoadWithDefault(extra)
	if err != nil {
		t.Fatal(err)
	}
	keepExtra := computed(cat)
	if n, err := b.wh.DeletePartialsExcept(ctx, keepExtra); err != nil || n != 1 {
		t.Fatalf("%d specs deleted (%v), want 1", n, err)
	}
	if got := specs(); !subset(got, keepExtra) {
		t.Errorf("partials left %v, not all the catalogue's %v", got, keepExtra)
	}
	var stray uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM cell_partials WHERE NOT has(?, spec)", keepExtra).Scan(&stray); err != nil || stray != 0 {
		t.Errorf("%d partial rows of deleted specs left (%v)", stray, err)
	}
	cells, err := compute.Gather(ctx, b.wh, cat, b.g, nil)
	if err != nil {
		t.Fatal(err)
	}
	values := compute.Derive(compute.Input{Catalogue: cat, Geography: b.g}, cells)
	got := map[string]float64{}
	for _, v := range values {
		if v.Level == geography.LevelRegion && v.PeriodType == catalogue.Month && v.Breakdown == "" {
			got[v.Indicator+" "+v.Period.Format("2006-01")] = v.Value
		}
	}
	checkTotals(t, "after the deletion", got, map[string]float64{"contacts 2025-01": 2, "contacts_with_syringes 2025-01": 1,
		"persons 2025-01": 2, "syringes 2025-01": 2})
}

func TestTheRowsOfAnInterruptedLoadNeverCount(t *testing.T) {
	spec := teamLog(sources.ReplaceFile)
	b := newBench(t, spec)
	body := contact("c1", "2025-03-08", "1000", "P-1", "", 1) + contact("c2", "2025-03-09", "1000", "P-2", "", 1) +
		contact("c3", "2025-03-10", "1000", "P-3", "", 1)
	b.deliver("combo/2025-03.jsonl", []byte(body))
	// A process killed in the middle of the load: its rows reached the
	// server, its load was never recorded.
	p, err := privacy.New([]byte("ingest-test-secret-0123"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	env := sources.Env{Pseudonymise: p.Sum, RecordKey: p.RecordKey, Locate: g.ResolveNIS, AreaKey: geography.AreaKey,
		RegionOnly: geography.RegionOnlyKey, LoadID: 7, Delivered: deliveryDay}
	contacts, _ := sources.LookupDataset("contacts")
	ins, err := b.wh.BeginInsert(t.Context(), contacts.Table, contacts.Columns())
	if err != nil {
		t.Fatal(err)
	}
	_, err = sources.Read(t.Context(), &spec, filepath.Join(b.inbox, "combo/2025-03.jsonl"), env, 2, sources.Sink{
		Rows: func(blk *sources.Block) error {
			defer blk.Done()
			return ins.Write(blk)
		},
		Reject: func(sources.Rejected) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ins.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := b.wh.CountRows(t.Context(), "contacts"); err != nil || n != 0 {
		t.Fatalf("%d rows of an unrecorded load count (%v); want none", n, err)
	}
	// They are there: recorded, they would count; withdrawn, they do not.
	stray := warehouse.Load{LoadID: 7, Source: "combo", Dataset: "contacts", File: "stray", LoadedAt: deliveryDay}
	if err := b.wh.CommitLoad(t.Context(), stray, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := b.wh.CountRows(t.Context(), "contacts"); err != nil || n != 3 {
		t.Fatalf("%d rows once the load is recorded (%v); want the 3 sent", n, err)
	}
	if _, err := b.wh.Retract(t.Context(), 7, "test"); err != nil {
		t.Fatal(err)
	}
	// The next run loads the file once.
	if res := b.run(); res.Loaded != 1 {
		t.Fatalf("re-run: %+v", res)
	}
	checkTotals(t, "after the re-run", b.totals(geography.LevelRegion, geography.RegionCode),
		map[string]float64{"contacts 2025-03": 3, "syringes 2025-03": 3})
}
