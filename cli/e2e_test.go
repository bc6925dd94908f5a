package cli

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/dashboards"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/locale"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
	"github.com/brusano/bassins/sources/demo"
)

// The test's own reading of the reference geography, written from the
// bassins' sites, not from the product's tables.
var (
	bassinOfPostcode = map[string]string{
		"1000": "centre-ouest", "1070": "centre-ouest", "1080": "centre-ouest",
		"1020": "nord", "1120": "nord", "1130": "nord", "1081": "nord", "1082": "nord", "1083": "nord", "1090": "nord",
		"1030": "nord-est", "1140": "nord-est", "1210": "nord-est",
		"1050": "sud", "1060": "sud", "1170": "sud", "1180": "sud", "1190": "sud",
		"1040": "sud-est", "1150": "sud-est", "1160": "sud-est", "1200": "sud-est",
	}
	// Bruxelles-Ville (21004) areas by postcode; 1040 belongs to no bassin.
	bassinOfCityArea = map[string]string{"1000": "centre-ouest", "1020": "nord", "1120": "nord", "1130": "nord", "1050": "sud", "1040": ""}
	bassinOfCommune  = map[string]string{
		"21001": "centre-ouest", "21012": "centre-ouest",
		"21003": "nord", "21008": "nord", "21010": "nord", "21011": "nord",
		"21006": "nord-est", "21014": "nord-est", "21015": "nord-est",
		"21007": "sud", "21009": "sud", "21013": "sud", "21016": "sud", "21017": "sud",
		"21002": "sud-est", "21005": "sud-est", "21018": "sud-est", "21019": "sud-est",
	}
	allBassins = []string{"nord", "nord-est", "sud", "sud-est", "centre-ouest"}
)

// testConfig writes the default configuration with every folder moved under
// dir, and the ClickHouse server the tests run on (warehousetest.EngineEnv).
func testConfig(t *testing.T, dir string) string {
	t.Helper()
	body := strings.ReplaceAll(string(config.Default), " var/", " "+filepath.Join(dir, "var")+"/")
	if bin := warehousetest.Binary(t); bin != "" {
		withBinary := strings.Replace(body, "\nclickhouse:\n", "\nclickhouse:\n  binary: "+strconv.Quote(bin)+"\n", 1)
		if withBinary == body {
			t.Fatal("testConfig: the default configuration has no clickhouse section")
		}
		body = withBinary
	}
	path := filepath.Join(dir, "bassins.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// operatorIndicator is an operator's own catalogue file.
const operatorIndicator = `indicators:
  - id: syringes_street
    theme: outreach
    name: {fr: Seringues distribuées en rue, nl: Verdeelde spuiten op straat}
    definition: {fr: "Seringues remises lors de contacts en rue.", nl: "Spuiten uitgereikt bij contacten op straat."}
    unit: {fr: seringues, nl: spuiten}
    numerator:
      dataset: contacts
      aggregate: sum
      field: syringes
      filters:
        - {field: place_type, op: "=", value: rue}
    periods: [month]
`

type contactLine struct {
	PlaceType string `json:"place_type"`
	Date      string `json:"date"`
	Postcode  string `json:"postcode"`
	Person    string `json:"person"`
	Syringes  int    `json:"syringes"`
	Referral  bool   `json:"referral"`
}

type expected struct {
	contacts, syringes, referrals, demands, services map[string]int
	syringesStreet                                   map[string]int
	persons, newPersons                              map[string]map[string]bool
}

// expectations counts, from the generated files alone, what the month's
// indicators must be for each bassin and for the region ("region").
func expectations(t *testing.T, inbox string, month time.Time) expected {
	t.Helper()
	e := expected{contacts: map[string]int{}, syringes: map[string]int{}, syringesStreet: map[string]int{}, referrals: map[string]int{}, demands: map[string]int{},
		services: map[string]int{}, persons: map[string]map[string]bool{}, newPersons: map[string]map[string]bool{}}
	ym := month.Format("2006-01")
	// A new person has no contact in the 12 months before the month.
	lookbackFrom := month.AddDate(0, -12, 0).Format("2006-01")
	metBefore := map[string]bool{} // person -> met in the 12 months before
	var inMonth []contactLine
	files, _ := filepath.Glob(filepath.Join(inbox, "mobile-teams", "*.jsonl"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var c contactLine
			if err := json.Unmarshal(line, &c); err != nil {
				t.Fatal(err)
			}
			m := c.Date[:7]
			if m >= lookbackFrom && m < ym {
				metBefore[c.Person] = true
			}
			if m == ym {
				inMonth = append(inMonth, c)
			}
		}
	}
	add := func(set map[string]map[string]bool, key, person string) {
		if set[key] == nil {
			set[key] = map[string]bool{}
		}
		set[key][person] = true
	}
	for _, c := range inMonth {
		for _, key := range []string{"region", bassinOfPostcode[c.Postcode]} {
			e.contacts[key]++
			e.syringes[key] += c.Syringes
			if c.PlaceType == "rue" {
				e.syringesStreet[key] += c.Syringes
			}
			if c.Referral {
				e.referrals[key]++
			}
			add(e.persons, key, c.Person)
			if !metBefore[c.Person] {
				add(e.newPersons, key, c.Person)
			}
		}
	}

	tdi, err := os.ReadFile(filepath.Join(inbox, "tdi", "tdi-"+ym+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	postcodeCol := -1
	for i, line := range strings.Split(strings.TrimSpace(string(tdi)), "\n") {
		if i == 0 {
			postcodeCol = slices.Index(strings.Split(line, ";"), "code_postal")
			if postcodeCol < 0 {
				t.Fatalf("no column code_postal in the TDI header %q", line)
			}
			continue
		}
		postcode := strings.Split(line, ";")[postcodeCol]
		e.demands["region"]++
		e.demands[bassinOfPostcode[postcode]]++
	}

	inv, err := os.Open(filepath.Join(inbox, "offre", "inventaire-"+month.Format("2006")+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer inv.Close()
	r := csv.NewReader(charmap.Windows1252.NewDecoder().Reader(inv))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		id, postcode, nis := row[0], row[5], row[6]
		if seen[id] {
			continue
		}
		seen[id] = true
		b := bassinOfCommune[nis]
		if nis == "21004" {
			b = bassinOfCityArea[postcode]
		}
		e.services["region"]++
		if b != "" {
			e.services[b]++
		}
	}
	return e
}

// exportColumns are the columns of the indicators' CSV, written by hand.
var exportColumns = []string{"indicator", "level", "code", "breakdown", "category", "period_type", "period", "value",
	"numerator", "denominator", "ci_low", "ci_high", "previous", "year_before", "region_value", "differs_from_region",
	"estimated", "incomplete", "suppressed", "population_date"}

// exportRows reads an indicators' CSV, checks its columns, and returns its
// rows by column name.
func exportRows(t *testing.T, r io.Reader) []map[string]string {
	t.Helper()
	records, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) == 0 || !slices.Equal(records[0], exportColumns) {
		t.Fatalf("indicators' CSV columns %v, want %v", records[:min(1, len(records))], exportColumns)
	}
	rows := make([]map[string]string, len(records)-1)
	for i, rec := range records[1:] {
		rows[i] = map[string]string{}
		for j, col := range exportColumns {
			rows[i][col] = rec[j]
		}
	}
	return rows
}

// monthTotal reports whether a row is an indicator's total for a month.
func monthTotal(row map[string]string, indicator string, month time.Time) bool {
	return row["indicator"] == indicator && row["breakdown"] == "" && row["period_type"] == "month" &&
		row["period"] == month.Format("2006-01")
}

func TestEndToEnd(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	cfgPath := testConfig(t, dir)
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	month := lastCompleteMonth(time.Now().In(cfg.Location()))
	if _, err := demo.Write(ctx, demo.Options{Dir: cfg.Paths.Inbox, Seed: 7, Scale: 0.2, Until: month, Months: 14}); err != nil {
		t.Fatal(err)
	}
	want := expectations(t, cfg.Paths.Inbox, month)

	var logs bytes.Buffer
	a, err := start(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if err := a.runJobsOnce(ctx, "ingest", "compute", "monthly-report"); err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	snap, err := a.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}

	get := func(indicator, key string) indicators.Value {
		t.Helper()
		level, code := "bassin", key
		if key == "region" {
			level, code = "region", "04000"
		}
		v, ok := snap.Get(indicator, level, code, month)
		if !ok {
			t.Fatalf("no %s value for %s %s in %s", indicator, level, code, month.Format("2006-01"))
		}
		return v
	}
	for _, key := range append([]string{"region"}, allBassins...) {
		checks := []struct {
			indicator string
			want      int
		}{
			{"contacts", want.contacts[key]},
			{"persons", len(want.persons[key])},
			{"new_persons", len(want.newPersons[key])},
			{"syringes", want.syringes[key]},
			{"referrals", want.referrals[key]},
			{"treatment_demands", want.demands[key]},
			{"services", want.services[key]},
		}
		for _, c := range checks {
			if got := get(c.indicator, key).Value; got != float64(c.want) {
				t.Errorf("%s of %s in %s = %v, want %d (counted from the files)", c.indicator, key, month.Format("2006-01"), got, c.want)
			}
		}
	}
	if want.contacts["region"] == 0 {
		t.Fatal("the demo data has no contacts in the last month: the test proves nothing")
	}
	// Sud-Est: Auderghem 34,404 + Etterbeek 48,473 + Woluwe-Saint-Lambert
	// 57,712 + Woluwe-Saint-Pierre 42,119 inhabitants (communes.csv).
	rate := get("contacts_per_10k", "sud-est")
	if rate.Denominator != 182708 {
		t.Errorf("Sud-Est population = %v, want 182708", rate.Denominator)
	}
	if wantRate := float64(want.contacts["sud-est"]) / 182708 * 10000; abs(rate.Value-wantRate) > 1e-9 {
		t.Errorf("Sud-Est contacts per 10,000 = %v, want %v", rate.Value, wantRate)
	}

	// A second ingest finds nothing new and changes nothing.
	before, _ := a.wh.CountRows(ctx, "contacts")
	run, err := a.sched.RunNow(ctx, "ingest")
	if err != nil || run.Rows != 0 {
		t.Fatalf("second ingest: %+v, %v; want no rows", run, err)
	}
	if after, _ := a.wh.CountRows(ctx, "contacts"); after != before {
		t.Fatalf("contacts went from %d to %d on a re-run", before, after)
	}

	// Every run is recorded.
	runs, err := a.wh.RecentRuns(ctx, 10)
	if err != nil || len(runs) != 4 {
		t.Fatalf("recorded runs: %d, %v; want 4", len(runs), err)
	}
	for _, r := range runs {
		if r.Status != "ok" || r.FinishedAt.IsZero() {
			t.Errorf("run %s: status %s, finished %v", r.Job, r.Status, r.FinishedAt)
		}
	}

	figure := func(key string) string { return locale.New("fr", nil).Int(int64(want.contacts[key])) }

	// The report holds every bassin's contacts of the month.
	reportPath := filepath.Join(cfg.Paths.Reports, month.Format("2006-01"), "rapport-mensuel-"+month.Format("2006-01")+".fr.html")
	report, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range allBassins {
		if !containsCell(string(report), figure(b)) {
			t.Errorf("report lacks %s's contacts %s", b, figure(b))
		}
	}
	assertNoOutsideAddress(t, "report", report)

	// The bassin page holds the same figures.
	srv, err := dashboards.New(dashboards.Options{Store: a.reader, Location: cfg.Location()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, b := range allBassins {
		body := fetch(t, ts.URL+"/bassins/"+b)
		if !containsCell(body, figure(b)) {
			t.Errorf("page of %s lacks its contacts %s", b, figure(b))
		}
		assertNoOutsideAddress(t, "page "+b, []byte(body))
	}
	// The bassin's download: the region, the bassin and its communes only.
	download := exportRows(t, strings.NewReader(fetch(t, ts.URL+"/telechargement/indicateurs.csv?bassin=sud-est")))
	sudEst := map[string]bool{"04000": true, "sud-est": true, "21002": true, "21005": true, "21018": true, "21019": true}
	var sawContacts bool
	for _, row := range download {
		if !sudEst[row["code"]] {
			t.Errorf("Sud-Est download holds %s %s", row["level"], row["code"])
		}
		if monthTotal(row, "contacts", month) && row["code"] == "sud-est" {
			sawContacts = true
			if row["value"] != strconv.Itoa(want.contacts["sud-est"]) {
				t.Errorf("download: Sud-Est contacts %s, want %d", row["value"], want.contacts["sud-est"])
			}
		}
	}
	if !sawContacts {
		t.Error("Sud-Est download lacks the month's contacts")
	}
	// Completeness: the month's contact lines, all sources together, and no
	// gap in a delivery that covers every month.
	deliveries, err := a.wh.Deliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lines uint64
	for _, d := range deliveries {
		if d.Dataset == "contacts" && d.Period.Equal(month) {
			lines += d.Lines
		}
	}
	if lines != uint64(want.contacts["region"]) {
		t.Errorf("contact lines delivered for the month = %d, want %d", lines, want.contacts["region"])
	}
	activity := fetch(t, ts.URL+"/activite")
	if !strings.Contains(activity, "Complétude des livraisons") || strings.Contains(activity, `class="num gap"`) {
		t.Error("the activity page must show the completeness table, with no gap for the demo's deliveries")
	}
	overview := fetch(t, ts.URL+"/")
	assertNoOutsideAddress(t, "overview", []byte(overview))
	dom, err := dashboards.DumpDOM(ctx, ts.URL+"/bassins/sud")
	switch {
	case errors.Is(err, dashboards.ErrNoBrowser):
		t.Log("chromium not installed: browser check skipped (make test installs it)")
	case err != nil:
		t.Fatal(err)
	case !strings.Contains(dom, "<canvas"):
		t.Error("in chromium, the bassin page drew no chart")
	}

	// The export lists all five bassins, through the command line, on the
	// server this test already runs (the managed server is reused).
	var out, errOut bytes.Buffer
	if code := Run(ctx, []string{"export", "indicators", "--config", cfgPath, "--format", "csv"}, &out, &errOut); code != 0 {
		t.Fatalf("export exited %d: %s", code, errOut.String())
	}
	exported := exportRows(t, &out)
	found := map[string]bool{}
	exportedIDs := map[string]bool{}
	for _, row := range exported {
		exportedIDs[row["indicator"]] = true
		if row["level"] == "bassin" && monthTotal(row, "contacts", month) {
			found[row["code"]] = true
			if row["suppressed"] == "false" && row["value"] != strconv.Itoa(want.contacts[row["code"]]) {
				t.Errorf("export: contacts of %s = %s, want %d", row["code"], row["value"], want.contacts[row["code"]])
			}
		}
	}
	for _, b := range allBassins {
		if !found[b] {
			t.Errorf("export lacks bassin %s", b)
		}
	}
	// Every indicator of the catalogue has values in the export, but those
	// needing data the demo does not have (an age structure).
	cat, err := cfg.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	for _, ind := range cat.Indicators {
		if !exportedIDs[ind.ID] && !(ind.Denominator != nil && ind.Denominator.Population == "15-64") {
			t.Errorf("the export lacks indicator %s", ind.ID)
		}
	}

	// An operator adds an indicator by writing YAML only: the next
	// computation computes it and the export lists it.
	operatorFile := filepath.Join(dir, "mes-indicateurs.yaml")
	if err := os.WriteFile(operatorFile, []byte(operatorIndicator), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgBody, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfgBody = append(cfgBody, []byte("\nindicators:\n  files: ["+strconv.Quote(operatorFile)+"]\n")...)
	if err := os.WriteFile(cfgPath, cfgBody, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := Run(ctx, []string{"run", "compute", "--config", cfgPath}, &out, &errOut); code != 0 {
		t.Fatalf("compute with the operator's catalogue exited %d: %s", code, errOut.String())
	}
	out.Reset()
	if code := Run(ctx, []string{"export", "indicators", "--config", cfgPath, "--format", "csv"}, &out, &errOut); code != 0 {
		t.Fatalf("export exited %d: %s", code, errOut.String())
	}
	seen := 0
	for _, row := range exportRows(t, &out) {
		if monthTotal(row, "syringes_street", month) && (row["level"] == "bassin" || row["level"] == "region") {
			seen++
			key := row["code"]
			if row["level"] == "region" {
				key = "region"
			}
			if row["suppressed"] == "false" && row["value"] != strconv.Itoa(want.syringesStreet[key]) {
				t.Errorf("operator's indicator for %s = %s, want %d (counted from the files)", key, row["value"], want.syringesStreet[key])
			}
		}
	}
	if seen != 6 {
		t.Errorf("the operator's indicator has %d values for the Region and bassins in %s, want 6", seen, month.Format("2006-01"))
	}
	out.Reset()
	if code := Run(ctx, []string{"indicators", "describe", "syringes_street", "--config", cfgPath}, &out, &errOut); code != 0 {
		t.Fatalf("describe exited %d: %s", code, errOut.String())
	}
	for _, text := range []string{"Seringues distribuées en rue", "Verdeelde spuiten op straat", "Numérateur", "Teller",
		"Thème\u00a0: Travail de rue / équipes mobiles", "Thema: Outreach / mobiele teams", "mes-indicateurs.yaml:2"} {
		if !strings.Contains(out.String(), text) {
			t.Errorf("the definition sheet lacks %q:\n%s", text, out.String())
		}
	}

	// A report for an earlier month, on demand.
	earlier := month.AddDate(0, -2, 0).Format("2006-01")
	out.Reset()
	if code := Run(ctx, []string{"run", "monthly-report", "--period", earlier, "--config", cfgPath}, &out, &errOut); code != 0 {
		t.Fatalf("run monthly-report --period %s exited %d: %s", earlier, code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(cfg.Paths.Reports, earlier, "maandrapport-"+earlier+".nl.html")); err != nil {
		t.Errorf("no Dutch report for %s: %v", earlier, err)
	}

	// A backfill of three earlier months writes their reports.
	from, to := month.AddDate(0, -5, 0), month.AddDate(0, -3, 0)
	out.Reset()
	if code := Run(ctx, []string{"backfill", "monthly-report", "--from", from.Format("2006-01"), "--to", to.Format("2006-01"), "--config", cfgPath}, &out, &errOut); code != 0 {
		t.Fatalf("backfill exited %d: %s", code, errOut.String())
	}
	for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
		ym := m.Format("2006-01")
		if _, err := os.Stat(filepath.Join(cfg.Paths.Reports, ym, "rapport-mensuel-"+ym+".fr.html")); err != nil {
			t.Errorf("the backfill wrote no French report for %s: %v\n%s", ym, err, out.String())
		}
	}
}

func TestCheckExitCodes(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Run(t.Context(), []string{"check"}, &out, &errOut); code != 0 {
		t.Fatalf("check of the default configuration exited %d: %s", code, errOut.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("jobs:\n  - name: ingest\n    kind: ingest\n    schedule: \"61 * * * *\"\n"), 0o644)
	errOut.Reset()
	if code := Run(t.Context(), []string{"check", "--config", bad}, &out, &errOut); code != 2 {
		t.Fatalf("check of a bad configuration exited %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), bad+":4: jobs[0].schedule") {
		t.Errorf("message %q does not name file, line and key", errOut.String())
	}
	if code := Run(t.Context(), []string{"frobnicate"}, &out, &errOut); code != 2 {
		t.Errorf("an unknown command exited %d, want 2", code)
	}
}

var outside = regexp.MustCompile(`https?://`)

func assertNoOutsideAddress(t *testing.T, what string, body []byte) {
	t.Helper()
	if loc := outside.FindIndex(body); loc != nil {
		t.Errorf("%s holds an outside address: %q", what, body[loc[0]:min(loc[1]+40, len(body))])
	}
}

// containsCell reports whether a figure stands alone in the HTML: between a
// tag's end and the next tag or space.
func containsCell(html, figure string) bool {
	return regexp.MustCompile(`>\s*` + regexp.QuoteMeta(figure) + `\s*[<*]`).MatchString(html)
}

func fetch(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(bufio.NewReader(resp.Body))
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return string(body)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
