package dashboards

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/locale"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// keyFigures are the indicators of the overview cards, in display order.
var keyFigures = []string{"contacts", "persons", "contacts_per_10k", "treatment_demands", "services_per_10k"}

// trendMonths is how many months the time series show.
const trendMonths = 24

// figure is one value with its change against the month before.
type figure struct {
	Label     string
	Value     string
	Unit      string
	Change    string // empty when it cannot be shown
	Estimated bool
}

// card is one geography of the overview: the region or a bassin.
type card struct {
	Name string
	// Estimated is true when a figure rests on a default split or an
	// estimated population; the card is marked once.
	Estimated           bool
	Href                string
	Population          string
	PopulationEstimated bool
	Figures             []figure
}

// note explains what some figures rest on.
type note struct {
	Text   string
	Items  []string
	Label  string // introduces Source
	Source string
}

type overviewBody struct {
	Month     string
	PrevMonth string
	Region    card
	Bassins   []card
	Charts    []chartView
	Notes     []note
}

func (ps *pageSet) overview(w io.Writer, snap *indicators.Snapshot, stale bool, lang string) error {
	title := labels["overview_title"][locale.New(lang, nil).Index()]
	if isEmpty(snap) {
		return ps.pending(w, snap, "/", title, stale, lang)
	}
	geo := snap.Geography
	if geo == nil {
		return fmt.Errorf("dashboards: snapshot %s carries no geography", snap.RunID)
	}
	p := ps.newPage(snap, "/", title, lang)
	ps.markStale(p, snap, stale)
	p.Charts = true
	last := snap.LastPeriod()
	prev := last.AddDate(0, -1, 0)
	body := overviewBody{Month: locale.New(lang, nil).Month(last), PrevMonth: locale.New(lang, nil).Month(prev)}

	body.Region = figureCard(snap, geo, geography.LevelRegion, geography.RegionCode, last, lang)
	for _, b := range geo.Bassins {
		c := figureCard(snap, geo, geography.LevelBassin, b.Code, last, lang)
		c.Href = href(bassinPath(b.Code), lang)
		body.Bassins = append(body.Bassins, c)
	}

	rate, _ := snap.Lookup("contacts_per_10k")
	var bars chartSeries
	bars.name = rate.Name.Text(lang)
	for _, b := range geo.Bassins {
		v, ok := snap.Get(rate.ID, geography.LevelBassin, b.Code, last)
		bars.points = append(bars.points, pointOf(snap, v, ok, geo.Name(geography.LevelBassin, b.Code, lang), lang))
	}
	rv, rok := snap.Get(rate.ID, geography.LevelRegion, geography.RegionCode, last)
	region := pointOf(snap, rv, rok, geo.Name(geography.LevelRegion, geography.RegionCode, lang), lang)
	body.Charts = append(body.Charts,
		barChart("bassins_contacts_per_10k", p.L["chart_rate"]+" — "+body.Month, lang, bars, &region, p.L["region"],
			[]string{p.L["bassin"], rate.Name.Text(lang)}),
		trendChart(snap, "region_contacts", p.L["chart_region"], geography.LevelRegion, geography.RegionCode,
			[]string{"contacts"}, lang, p.L["month"]))

	if n, ok := splitNote(geo, "", lang); ok {
		body.Notes = append(body.Notes, n)
	}
	if n, ok := unassignedNote(geo, lang); ok {
		body.Notes = append(body.Notes, n)
	}
	for _, c := range append([]card{body.Region}, body.Bassins...) {
		p.Estimated = p.Estimated || c.Estimated
	}
	p.Body = body
	return ps.execute(w, "overview", p)
}

// figureCard builds the key figures of one geography for the month.
func figureCard(snap *indicators.Snapshot, geo *geography.Geography, level, code string, month time.Time, lang string) card {
	pop, estimated := geo.Population(level, code)
	c := card{Name: geo.Name(level, code, lang), Population: locale.New(lang, nil).Int(int64(pop)), PopulationEstimated: estimated}
	for _, ind := range keyFigures {
		f := figureOf(snap, ind, level, code, month, lang)
		c.Estimated = c.Estimated || f.Estimated
		c.Figures = append(c.Figures, f)
	}
	return c
}

// figureOf returns an indicator's display value and change for one month.
func figureOf(snap *indicators.Snapshot, ind, level, code string, month time.Time, lang string) figure {
	d, _ := snap.Lookup(ind)
	f := figure{Label: d.Name.Text(lang), Unit: d.Unit.Text(lang), Value: locale.NoValue}
	cur, ok := snap.Get(ind, level, code, month)
	if !ok {
		return f
	}
	f.Value = snap.Display(cur, lang)
	f.Estimated = cur.Estimated
	prev, _ := snap.Get(ind, level, code, month.AddDate(0, -1, 0))
	if pct, ok := snap.Change(cur, prev); ok {
		f.Change = locale.New(lang, nil).Change(pct)
	}
	return f
}

// trendChart draws indicators of one geography over the last trendMonths.
func trendChart(snap *indicators.Snapshot, id, title, level, code string, inds []string, lang, monthHead string) chartView {
	last := snap.LastPeriod()
	from := last.AddDate(0, 1-trendMonths, 0)
	var months []string
	var series []chartSeries
	for i, ind := range inds {
		d, _ := snap.Lookup(ind)
		ms, values, found := snap.Series(ind, level, code, from, last)
		s := chartSeries{name: d.Name.Text(lang)}
		for j, m := range ms {
			if i == 0 {
				months = append(months, locale.New(lang, nil).ShortMonth(m))
			}
			s.points = append(s.points, pointOf(snap, values[j], found[j], months[j], lang))
		}
		series = append(series, s)
	}
	return lineChart(id, title, lang, months, series, monthHead)
}

// splitNote says which figures rest on the default split of a commune or on
// an estimated population: for one bassin, or for all of them when bassin is
// empty.
func splitNote(geo *geography.Geography, bassin, lang string) (note, bool) {
	// Walk the bassins in the geography's order so that the areas are
	// grouped by bassin.
	var items, names []string
	for _, b := range geo.Bassins {
		if bassin != "" && b.Code != bassin {
			continue
		}
		name := geo.Name(geography.LevelBassin, b.Code, lang)
		for _, a := range geo.Areas {
			if a.Bassin != b.Code || !a.Estimated() {
				continue
			}
			item := areaName(geo, a, lang) + " — " + bassinStatusText(a.BassinStatus, lang) +
				pick(lang, "\u00a0; ", "; ") + populationStatusText(a.PopulationStatus, lang)
			if bassin == "" {
				item = name + pick(lang, "\u00a0: ", ": ") + item
			}
			items = append(items, item)
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	if len(items) == 0 {
		return note{}, false
	}
	text := pick(lang,
		"Une partie des chiffres de ce bassin (marqués *) repose sur un découpage par défaut de Bruxelles-Ville par code postal, qu'aucune source officielle ne confirme, ou sur une population estimée. Zones concernées :",
		"Een deel van de cijfers van deze zorgzone (gemarkeerd met *) steunt op een standaardindeling van Brussel-Stad per postcode, die geen officiële bron bevestigt, of op een geschatte bevolking. Betrokken gebieden:")
	if bassin == "" {
		bassins := pick(lang, "des bassins", "van de zorgzones")
		if len(names) == 1 {
			bassins = pick(lang, "du bassin", "van de zorgzone")
		}
		text = fmt.Sprintf(pick(lang,
			"Les chiffres %s %s (marqués *) reposent en partie sur un découpage par défaut de Bruxelles-Ville par code postal, qu'aucune source officielle ne confirme, ou sur une population estimée. Zones concernées :",
			"De cijfers %s %s (gemarkeerd met *) steunen deels op een standaardindeling van Brussel-Stad per postcode, die geen officiële bron bevestigt, of op een geschatte bevolking. Betrokken gebieden:"),
			bassins, locale.New(lang, nil).List(names))
	}
	return note{Text: text, Items: items, Label: labels["split_source"][locale.New(lang, nil).Index()] + pick(lang, "\u00a0: ", ": "), Source: geo.SplitSource}, true
}

// unassignedNote names the areas that belong to no bassin.
func unassignedNote(geo *geography.Geography, lang string) (note, bool) {
	areas := geo.Unassigned()
	if len(areas) == 0 {
		return note{}, false
	}
	var items, communes []string
	for _, a := range areas {
		items = append(items, areaName(geo, a, lang)+" — "+bassinStatusText(a.BassinStatus, lang))
		if c := geo.Name(geography.LevelCommune, a.NIS, lang); !slices.Contains(communes, c) {
			communes = append(communes, c)
		}
	}
	text := fmt.Sprintf(pick(lang,
		"Zones rattachées à aucun bassin : leurs chiffres comptent dans la Région et dans leur commune (%s), mais dans aucun bassin. La somme des cinq bassins est donc inférieure au total régional.",
		"Gebieden die bij geen enkele zorgzone horen: hun cijfers tellen mee voor het Gewest en voor hun gemeente (%s), maar voor geen enkele zorgzone. De som van de vijf zorgzones is dus kleiner dan het gewestelijk totaal."),
		locale.New(lang, nil).List(communes))
	return note{Text: text, Items: items, Label: labels["split_source"][locale.New(lang, nil).Index()] + pick(lang, "\u00a0: ", ": "), Source: geo.SplitSource}, true
}

// areaName returns "Laeken (1020, Bruxelles)".
func areaName(geo *geography.Geography, a geography.Area, lang string) string {
	commune := geo.Name(geography.LevelCommune, a.NIS, lang)
	if a.Postcode == "" {
		return commune
	}
	return a.Label + " (" + a.Postcode + ", " + commune + ")"
}

// indicatorRow is one line of a bassin's indicator table.
type indicatorRow struct {
	Name, Unit                string
	Current, Previous, Change string
	YearBefore, Region        string
	// Interval is the 95 % interval of a rate or a share, empty otherwise;
	// Differs marks an interval that excludes the Region's value.
	Interval   string
	Differs    bool
	Estimated  bool
	Incomplete bool
	// Population gives the reference date of a rate's population.
	Population string
}

// themeRows is a theme of the bassin's indicator table.
type themeRows struct {
	Name string
	Rows []indicatorRow
}

// communeRow is one line of a bassin's commune breakdown.
type communeRow struct {
	Name       string
	Population string
	// InBassin is, for a commune shared between bassins, the population of
	// its part in this bassin.
	InBassin  string
	Estimated bool
	Values    []string
}

type bassinBody struct {
	Name             string
	Month, PrevMonth string
	YearBeforeMonth  string
	Themes           []themeRows
	// Outdated warns that rates rest on an old population.
	Outdated         string
	Trends           []chartView
	CommuneHead      []string
	Communes         []communeRow
	CommuneChart     chartView
	SharedNotes      []string
	Population       string
	PopulationEstim  bool
	PopulationDate   string
	PopulationSource string
	Notes            []note
}

func (ps *pageSet) bassin(w io.Writer, snap *indicators.Snapshot, code string, stale bool, lang string) error {
	geo := ps.geography(snap)
	path := bassinPath(code)
	if geo == nil {
		if isEmpty(snap) {
			// Nothing computed and no geography to check the code against.
			return ps.pending(w, snap, path, labels["bassin"][locale.New(lang, nil).Index()]+" "+code, stale, lang)
		}
		return fmt.Errorf("dashboards: snapshot %s carries no geography", snap.RunID)
	}
	if _, ok := geo.Bassin(code); !ok {
		return fmt.Errorf("dashboards: bassin %q: %w", code, ErrNotFound)
	}
	name := geo.Name(geography.LevelBassin, code, lang)
	title := labels["bassin"][locale.New(lang, nil).Index()] + " " + name
	if isEmpty(snap) {
		return ps.pending(w, snap, path, title, stale, lang)
	}
	if snap.Geography == nil {
		return fmt.Errorf("dashboards: snapshot %s carries no geography", snap.RunID)
	}
	p := ps.newPage(snap, path, title, lang)
	ps.markStale(p, snap, stale)
	p.Charts = true
	p.Download = downloadPath + "?bassin=" + code
	last := snap.LastPeriod()
	prev := last.AddDate(0, -1, 0)
	lc := locale.New(lang, nil)
	body := bassinBody{Name: name, Month: lc.Month(last), PrevMonth: lc.Month(prev), YearBeforeMonth: lc.Month(last.AddDate(-1, 0, 0))}
	var oldest time.Time // the oldest outdated population of a rate shown
	for _, group := range snap.MonthlyTable(last) {
		th := themeRows{Name: group.Theme.Name.Text(lang)}
		for _, line := range group.Lines {
			row := bassinRow(snap, line, code, last, lc)
			th.Rows = append(th.Rows, row.indicatorRow)
			oldest = indicators.OldestOutdated(oldest, row.rate)
		}
		body.Themes = append(body.Themes, th)
	}
	if !oldest.IsZero() {
		body.Outdated = lc.OutdatedPopulation(last, oldest, locale.NoBreak)
	}

	body.Trends = []chartView{
		trendChart(snap, "bassin_activity", p.L["chart_trend"], geography.LevelBassin, code,
			[]string{"contacts", "persons", "new_persons"}, lang, p.L["month"]),
		trendChart(snap, "bassin_treatment_demands", p.L["chart_tdi"], geography.LevelBassin, code,
			[]string{"treatment_demands"}, lang, p.L["month"]),
	}

	// The commune breakdown: every count, and the contacts rate.
	var columns []catalogue.Indicator
	for _, d := range snap.MonthlyIndicators() {
		if d.Kind() == catalogue.KindCount || d.ID == "contacts_per_10k" {
			columns = append(columns, d)
		}
	}
	body.CommuneHead = []string{p.L["commune"], p.L["population"]}
	for _, d := range columns {
		body.CommuneHead = append(body.CommuneHead, d.Name.Text(lang))
	}
	contacts, _ := snap.Lookup("contacts")
	bars := chartSeries{name: contacts.Name.Text(lang)}
	for _, nis := range geo.CommunesOf(code) {
		communeName := geo.Name(geography.LevelCommune, nis, lang)
		pop, estimated := geo.Population(geography.LevelCommune, nis)
		row := communeRow{Name: communeName, Population: locale.New(lang, nil).Int(int64(pop)), Estimated: estimated}
		var inBassin int
		var shared bool
		for _, a := range geo.Areas {
			if a.NIS != nis {
				continue
			}
			if a.Bassin == code {
				inBassin += a.Population
			} else {
				shared = true
			}
		}
		if shared {
			row.InBassin = fmt.Sprintf(pick(lang, "dont %s dans le bassin", "waarvan %s in de zorgzone"), locale.New(lang, nil).Int(int64(inBassin)))
			body.SharedNotes = append(body.SharedNotes, fmt.Sprintf(pick(lang,
				"%s\u00a0: chiffres de toute la commune, dont une partie seulement appartient au bassin %s (environ %s habitants sur %s). Ne pas les additionner pour obtenir le total du bassin.",
				"%s: cijfers van de hele gemeente, waarvan slechts een deel tot de zorgzone %s behoort (ongeveer %s van de %s inwoners). Tel ze niet op om het totaal van de zorgzone te krijgen."),
				communeName, name, locale.New(lang, nil).Int(int64(inBassin)), row.Population))
		}
		for _, d := range columns {
			v, ok := snap.Get(d.ID, geography.LevelCommune, nis, last)
			shown := locale.NoValue
			if ok {
				shown = snap.Display(v, lang)
			}
			row.Values = append(row.Values, shown)
		}
		body.Communes = append(body.Communes, row)
		v, ok := snap.Get("contacts", geography.LevelCommune, nis, last)
		bars.points = append(bars.points, pointOf(snap, v, ok, communeName, lang))
	}
	body.CommuneChart = barChart("bassin_communes_contacts", p.L["chart_communes"]+" — "+body.Month, lang, bars, nil, "",
		[]string{p.L["commune"], contacts.Name.Text(lang)})

	pop, estimated := geo.Population(geography.LevelBassin, code)
	body.Population = locale.New(lang, nil).Int(int64(pop))
	body.PopulationEstim = estimated
	body.PopulationDate = populationDates(geo, code, lang)
	body.PopulationSource = geo.PopulationSource
	if n, ok := splitNote(geo, code, lang); ok {
		body.Notes = append(body.Notes, n)
	}
	for _, th := range body.Themes {
		for _, r := range th.Rows {
			p.Estimated = p.Estimated || r.Estimated
		}
	}
	p.Body = body
	return ps.execute(w, "bassin", p)
}

// shownRow is a row of the indicator table with, for a rate, the value its
// population comes from (the zero Value for other kinds).
type shownRow struct {
	indicatorRow
	rate indicators.Value
}

// bassinRow fills one row of a bassin's indicator table: the value, the
// previous month, the change, the month a year before, the Region and, for
// rates and shares, the 95 % interval.
func bassinRow(snap *indicators.Snapshot, line indicators.Line, code string, month time.Time, lc locale.Locale) shownRow {
	d := line.Indicator
	lang := lc.Lang()
	row := shownRow{indicatorRow: indicatorRow{Name: line.Name(lang), Unit: d.Unit.Text(lang), Current: locale.NoValue,
		Previous: locale.NoValue, YearBefore: locale.NoValue, Region: locale.NoValue}}
	cur, ok := snap.Cell(line.Key(geography.LevelBassin, code, month))
	if !ok {
		return row
	}
	row.Current = snap.Display(cur, lang)
	row.Estimated, row.Incomplete = cur.Estimated, cur.Incomplete
	c := snap.Compare(cur)
	if c.Previous != nil {
		row.Previous = snap.Display(*c.Previous, lang)
		if pct, ok := snap.Change(cur, *c.Previous); ok {
			row.Change = lc.Change(pct)
		}
	}
	if c.YearBefore != nil {
		row.YearBefore = snap.Display(*c.YearBefore, lang)
	}
	if c.Region != nil {
		row.Region = snap.Display(*c.Region, lang)
	}
	if !math.IsNaN(c.CILow) {
		row.Interval = lc.Interval(c.CILow, c.CIHigh, d.Decimals)
		row.Differs = c.DiffersFromRegion
	}
	if d.Kind() == catalogue.KindRate && !cur.PopulationDate.IsZero() {
		row.Population = lc.PopulationOf(cur.PopulationDate)
		row.rate = cur
	}
	return row
}

// populationDates returns the reference date of a bassin's population, or the
// range of dates when its areas differ.
func populationDates(geo *geography.Geography, bassin, lang string) string {
	var first, latest time.Time
	for _, a := range geo.Areas {
		if a.Bassin != bassin || a.PopulationDate.IsZero() {
			continue
		}
		if first.IsZero() || a.PopulationDate.Before(first) {
			first = a.PopulationDate
		}
		if a.PopulationDate.After(latest) {
			latest = a.PopulationDate
		}
	}
	switch {
	case latest.IsZero():
		return locale.NoValue
	case first.Equal(latest):
		return locale.New(lang, nil).Date(latest)
	}
	return pick(lang, "du ", "van ") + locale.New(lang, nil).Date(first) + pick(lang, " au ", " tot ") + locale.New(lang, nil).Date(latest)
}

// runRow and loadRow are lines of the activity page.
type runRow struct {
	Job, RunID, Started, Finished, Status, StatusClass, Rows, Message string
	// AsOf is the time the run worked as of, when it is not its start
	// (a catch-up or a backfill); Attempt numbers a retry. Both are empty
	// otherwise.
	AsOf, Attempt string
}

type loadRow struct {
	File, Source, Dataset, Read, Loaded, Quarantined, LoadedAt, Status, StatusClass, Message string
	// Reasons are the first rows set aside: line, field and why, never the
	// value.
	Reasons []string
}

type activityBody struct {
	// Scheduling says which process runs the scheduled jobs; empty when
	// unknown.
	Scheduling string
	Runs       []runRow
	Loads      []loadRow
	// Months and Sources make the completeness table.
	Months  []string
	Sources []completenessRow
}

type completenessRow struct {
	Source, Dataset string
	Cells           []completenessCell
}

type completenessCell struct {
	Text string
	Gap  bool // no line for a month the source should have delivered
}

// completenessMonths is how many months the completeness table shows.
const completenessMonths = 12

// completeness lays out the lines delivered per source over the last months
// with data. A month without lines after the source's first delivery is a
// gap: the source should have delivered.
func completeness(deliveries []warehouse.Delivery, lang string) ([]string, []completenessRow) {
	if len(deliveries) == 0 {
		return nil, nil
	}
	type source struct{ name, dataset string }
	lines := map[source]map[time.Time]uint64{}
	first := map[source]time.Time{}
	var last time.Time
	for _, d := range deliveries {
		s := source{d.Source, d.Dataset}
		if lines[s] == nil {
			lines[s] = map[time.Time]uint64{}
		}
		lines[s][d.Period] += d.Lines
		if f, ok := first[s]; !ok || d.Period.Before(f) {
			first[s] = d.Period
		}
		if d.Period.After(last) {
			last = d.Period
		}
	}
	var months []time.Time
	var headers []string
	for i := completenessMonths - 1; i >= 0; i-- {
		m := last.AddDate(0, -i, 0)
		months = append(months, m)
		headers = append(headers, locale.New(lang, nil).ShortMonth(m))
	}
	var sources []source
	for s := range lines {
		sources = append(sources, s)
	}
	slices.SortFunc(sources, func(a, b source) int { return strings.Compare(a.name, b.name) })
	var rows []completenessRow
	for _, s := range sources {
		row := completenessRow{Source: s.name, Dataset: s.dataset}
		for _, m := range months {
			n, ok := lines[s][m]
			switch {
			case ok:
				row.Cells = append(row.Cells, completenessCell{Text: locale.New(lang, nil).Int(int64(n))})
			case m.Before(first[s]):
				row.Cells = append(row.Cells, completenessCell{})
			default:
				row.Cells = append(row.Cells, completenessCell{Text: locale.NoValue, Gap: true})
			}
		}
		rows = append(rows, row)
	}
	return headers, rows
}

func (ps *pageSet) activity(w io.Writer, runs []warehouse.JobRun, loads []warehouse.Load, quarantined map[uint64][]warehouse.QuarantinedRow,
	deliveries []warehouse.Delivery, snap *indicators.Snapshot, stale bool, sched *SchedulingStatus, lang string) error {
	p := ps.newPage(snap, "/activite", labels["activity_title"][locale.New(lang, nil).Index()], lang)
	ps.markStale(p, snap, stale)
	p.Privacy = "" // no figures on this page
	var body activityBody
	if sched != nil {
		body.Scheduling = ps.schedulingText(*sched, lang)
	}
	for _, r := range runs {
		row := runRow{Job: r.Job, RunID: r.RunID, Started: ps.locale(lang).DateTime(r.StartedAt),
			Finished: ps.locale(lang).DateTime(r.FinishedAt), Status: locale.New(lang, nil).Status(r.Status),
			StatusClass: statusClass(r.Status), Rows: locale.New(lang, nil).Int(int64(r.Rows)), Message: r.Message}
		if r.FinishedAt.IsZero() {
			row.Finished = p.L["running"]
		}
		// The as-of time is shown when it is not the start as the page
		// words it, to the minute.
		if asOf := ps.locale(lang).DateTime(r.AsOf); !r.AsOf.IsZero() && asOf != row.Started {
			row.AsOf = p.L["as_of"] + p.L["colon"] + asOf
		}
		if r.Attempt > 1 {
			row.Attempt = p.L["attempt"] + " " + strconv.Itoa(r.Attempt)
		}
		body.Runs = append(body.Runs, row)
	}
	for _, l := range loads {
		status := l.Status
		if l.Replaced() {
			status = "replaced"
		}
		row := loadRow{File: l.File, Source: l.Source, Dataset: l.Dataset,
			Read: locale.New(lang, nil).Int(int64(l.RowsRead)), Loaded: locale.New(lang, nil).Int(int64(l.RowsLoaded)),
			Quarantined: locale.New(lang, nil).Int(int64(l.RowsQuarantined)), LoadedAt: ps.locale(lang).DateTime(l.LoadedAt),
			Status: locale.New(lang, nil).Status(status), StatusClass: statusClass(status), Message: loadMessage(l, lang)}
		for _, q := range quarantined[l.LoadID] {
			for _, r := range q.Reasons {
				row.Reasons = append(row.Reasons, reasonText(q.Line, r, lang))
			}
		}
		body.Loads = append(body.Loads, row)
	}
	body.Months, body.Sources = completeness(deliveries, lang)
	p.Body = body
	return ps.execute(w, "activity", p)
}

// schedulingText says which process runs the scheduled jobs.
func (ps *pageSet) schedulingText(st SchedulingStatus, lang string) string {
	if st.Scheduling {
		return pick(lang, "assurée par ce processus", "verzorgd door dit proces")
	}
	text := pick(lang, "assurée par un autre processus", "verzorgd door een ander proces")
	var who []string
	if st.Holder != "" {
		who = append(who, st.Holder)
	}
	if !st.Since.IsZero() {
		who = append(who, pick(lang, "depuis le ", "sinds ")+ps.locale(lang).DateTime(st.Since))
	}
	if len(who) > 0 {
		text += " (" + strings.Join(who, ", ") + ")"
	}
	return text
}

// loadMessage sums up a load in the reader's language.
func loadMessage(l warehouse.Load, lang string) string {
	switch {
	case l.Status == warehouse.StatusRetracted:
		return pick(lang, "Retiré : ", "Ingetrokken: ") + strings.TrimPrefix(l.Message, "retracted: ")
	case l.Status == warehouse.StatusRejected && l.RowsQuarantined > 0 && l.RowsRead > 0 && l.RowsQuarantined <= l.RowsRead:
		lines := "lignes"
		if l.RowsQuarantined == 1 {
			lines = "ligne"
		}
		return fmt.Sprintf(pick(lang, "%s %s sur %s en quarantaine, au-delà du seuil de la source : toute la livraison est refusée.",
			"%[1]s van %[3]s regels in quarantaine, boven de drempel van de bron: de hele levering is geweigerd."),
			locale.New(lang, nil).Int(int64(l.RowsQuarantined)), lines, locale.New(lang, nil).Int(int64(l.RowsRead)))
	case l.Status == warehouse.StatusRejected:
		return pick(lang, "Fichier illisible : rien n'est chargé.", "Onleesbaar bestand: er is niets geladen.")
	case len(l.ReplacedMonths) > 0:
		var months []string
		for _, m := range l.ReplacedMonths {
			months = append(months, locale.New(lang, nil).ShortMonth(m))
		}
		return pick(lang, "Mois remplacés par une livraison ultérieure : ", "Maanden vervangen door een latere levering: ") + strings.Join(months, ", ")
	case l.RowsDuplicate > 0:
		return fmt.Sprintf(pick(lang, "%s doublons exacts ignorés.", "%s exacte dubbels genegeerd."), locale.New(lang, nil).Int(int64(l.RowsDuplicate)))
	}
	return ""
}

// statusClass colours a status: failures stand out.
func statusClass(status string) string {
	switch status {
	case "ok", "loaded":
		return "ok"
	case "failed", "rejected", "interrupted":
		return "bad"
	case "retracted", "replaced":
		return "neutral"
	}
	return "neutral"
}
