package reports

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/locale"
)

// monthlyData is everything the monthly template prints, already worded and
// formatted in the report's language.
type monthlyData struct {
	T *messages
	// HTMLLang is the language tag of the document, "fr-BE" or "nl-BE".
	HTMLLang       string
	Missing        string
	Title          string
	RunLine        string
	PopulationLine string
	PopulationEst  bool

	SummaryHeading string
	SummaryIntro   string
	Columns        []column
	Populations    []string
	Themes         []themeRows
	// ColSpan is the number of columns of the summary table.
	ColSpan int
	// Outdated warns that rates rest on an old population; empty when not.
	Outdated string

	Charts []figure

	EstimatedIntro string
	Estimated      []string
	Unassigned     string
	Suppression    string
	Change         string
	Comparisons    string
	// DiffersMark and Incomplete are the words of the table's marks.
	DiffersMark, Incomplete string

	Definitions []definition
}

// column is one geography of the summary table.
type column struct {
	Level, Code string
	Name        string
	Estimated   bool
}

// themeRows is a theme of the summary table with its rows.
type themeRows struct {
	Name string
	Rows []row
}

// row is one indicator of the summary table (one category, for the
// measures kept apart by federation).
type row struct {
	Name, Unit string
	// Population gives the reference date(s) of a rate's population.
	Population string
	Cells      []cell
}

// cell is one value of the summary table. Indicator and Geography are printed
// as data attributes so that the value can be found by a program reading the
// document (and by the tests).
type cell struct {
	Indicator, Geography string
	Display              string
	Change               string
	// YearBefore is the value a year before, worded; Interval the 95 %
	// interval of a rate or share, worded; Differs marks an interval of a
	// bassin that excludes the Region's value.
	YearBefore, Interval string
	Differs, Incomplete  bool
	Suppressed, Missing  bool
}

// figure is one chart of the report.
type figure struct {
	Title, Alt, Note string
	Src              template.URL
	Width, Height    int
}

// definition is one line of the table of indicator definitions.
type definition struct {
	Name, Unit, Definition, Source string
}

func (w *Writer) monthlyData(snap *indicators.Snapshot, period time.Time, lc locale.Locale, msg *messages) (*monthlyData, error) {
	g := snap.Geography
	lang := lc.Lang()
	month := lc.Month(period)
	prev := period.AddDate(0, -1, 0)
	d := &monthlyData{
		T:              msg,
		HTMLLang:       lc.Tag(),
		Missing:        lc.NoValueNote(),
		Title:          fmt.Sprintf(msg.Title, month),
		SummaryHeading: fmt.Sprintf(msg.SummaryHeading, month),
		SummaryIntro:   fmt.Sprintf(msg.SummaryIntro, month, lc.Month(prev)),
		Suppression:    fmt.Sprintf(msg.Suppression, snap.MinCount, snap.MinCount),
		Change:         fmt.Sprintf(msg.Change, lc.Month(prev)),
		Comparisons:    lc.DiffersNote(locale.Plain) + " " + lc.IncompleteNote(locale.Plain),
		DiffersMark:    lc.DiffersMark(),
		Incomplete:     lc.Incomplete(),
	}

	runID, computed := snap.RunID, msg.Unknown
	if runID == "" {
		runID = msg.Unknown
	}
	if !snap.ComputedAt.IsZero() {
		computed = lc.DateTime(snap.ComputedAt)
	}
	d.RunLine = fmt.Sprintf(msg.RunLine, runID, computed, lc.Zone())
	regionPop, regionEst := g.Population(geography.LevelRegion, geography.RegionCode)
	popDate := msg.Unknown
	if t := g.PopulationDate(); !t.IsZero() {
		popDate = lc.Date(t)
	}
	d.PopulationLine = fmt.Sprintf(msg.PopulationLine, lc.Int(int64(regionPop)), g.PopulationSource, popDate)
	d.PopulationEst = regionEst

	for _, b := range g.Bassins {
		d.Columns = append(d.Columns, column{Level: geography.LevelBassin, Code: b.Code, Name: g.Name(geography.LevelBassin, b.Code, lang)})
	}
	d.Columns = append(d.Columns, column{Level: geography.LevelRegion, Code: geography.RegionCode, Name: msg.Region})

	for i, c := range d.Columns {
		pop, _ := g.Population(c.Level, c.Code)
		d.Populations = append(d.Populations, lc.Int(int64(pop)))
		name := c.Name
		if c.Level == geography.LevelRegion {
			name = g.Name(c.Level, c.Code, lang)
		}
		if note := estimationNote(snap, c, period, name, lc, msg); note != "" {
			d.Columns[i].Estimated = true
			d.Estimated = append(d.Estimated, note)
		}
	}
	if len(d.Estimated) > 0 {
		d.EstimatedIntro = fmt.Sprintf(msg.EstimatedIntro, g.SplitSource)
	}
	if un := g.Unassigned(); len(un) > 0 {
		names := make([]string, len(un))
		var pop int
		for i, a := range un {
			names[i] = areaName(g, a, lang)
			pop += a.Population
		}
		d.Unassigned = fmt.Sprintf(msg.Unassigned, lc.List(names), lc.Int(int64(pop)))
	}

	var oldest time.Time // the oldest outdated population of a rate shown
	defined := map[string]bool{}
	for _, group := range snap.MonthlyTable(period) {
		th := themeRows{Name: group.Theme.Name.Text(lang)}
		for _, line := range group.Lines {
			def := line.Indicator
			r := row{Name: line.Name(lang), Unit: def.Unit.Text(lang)}
			var dates []string
			for _, c := range d.Columns {
				cl, v, ok := summaryCell(snap, line, c, period, lc)
				r.Cells = append(r.Cells, cl)
				if !ok || def.Kind() != catalogue.KindRate || v.PopulationDate.IsZero() {
					continue
				}
				if date := lc.Date(v.PopulationDate); !slices.Contains(dates, date) {
					dates = append(dates, date)
				}
				oldest = indicators.OldestOutdated(oldest, v)
			}
			if len(dates) > 0 {
				r.Population = fmt.Sprintf(msg.PopulationOf, lc.List(dates))
			}
			th.Rows = append(th.Rows, r)
			if !defined[def.ID] {
				defined[def.ID] = true
				d.Definitions = append(d.Definitions, defineIndicator(def, lc, msg))
			}
		}
		d.Themes = append(d.Themes, th)
	}
	if !oldest.IsZero() {
		d.Outdated = lc.OutdatedPopulation(period, oldest, locale.Plain)
	}
	d.ColSpan = len(d.Columns) + 1

	charts, err := w.charts(snap, period, lc, msg)
	if err != nil {
		return nil, err
	}
	d.Charts = charts
	return d, nil
}

// summaryCell returns one cell of the summary table, and the value it
// shows when there is one.
func summaryCell(snap *indicators.Snapshot, line indicators.Line, c column, period time.Time, lc locale.Locale) (cell, indicators.Value, bool) {
	out := cell{Indicator: line.Indicator.ID, Geography: c.Code}
	v, ok := snap.Cell(line.Key(c.Level, c.Code, period))
	if !ok {
		out.Display, out.Missing = locale.NoValue, true
		return out, v, false
	}
	lang := lc.Lang()
	out.Display = snap.Display(v, lang)
	out.Incomplete = v.Incomplete
	if out.Suppressed = snap.Suppressed(v); out.Suppressed {
		return out, v, true // a withheld cell shows its mark only
	}
	cmp := snap.Compare(v)
	if cmp.Previous != nil {
		if pct, ok := snap.Change(v, *cmp.Previous); ok {
			out.Change = lc.Change(pct)
		}
	}
	if cmp.YearBefore != nil {
		out.YearBefore = snap.Display(*cmp.YearBefore, lang)
	}
	if !math.IsNaN(cmp.CILow) {
		out.Interval = lc.Interval(cmp.CILow, cmp.CIHigh, line.Indicator.Decimals)
		out.Differs = cmp.DiffersFromRegion
	}
	return out, v, true
}

// estimationNote says why the figures of a column rest on estimates, or
// returns "" when they do not: for a bassin, the areas assigned to it by
// default or with an estimated population; for the region, the areas with an
// estimated population (the split does not change the region's total).
func estimationNote(snap *indicators.Snapshot, c column, period time.Time, name string, lc locale.Locale, msg *messages) string {
	g := snap.Geography
	lang := lc.Lang()
	var split, pop []string
	for _, a := range g.Areas {
		if c.Level == geography.LevelBassin && (a.Bassin != c.Code || !a.Estimated()) {
			continue
		}
		if c.Level == geography.LevelBassin && a.BassinStatus != "commune" && !strings.HasPrefix(a.BassinStatus, "stated") {
			split = append(split, areaName(g, a, lang))
		}
		if strings.HasPrefix(a.PopulationStatus, "estimated") {
			pop = append(pop, areaName(g, a, lang))
		}
	}
	var parts []string
	if len(split) > 0 && slices.Equal(split, pop) {
		parts = append(parts, fmt.Sprintf(msg.EstimatedBoth, lc.List(split)))
		split, pop = nil, nil
	}
	if len(split) > 0 {
		parts = append(parts, fmt.Sprintf(msg.EstimatedSplit, lc.List(split)))
	}
	if len(pop) > 0 {
		parts = append(parts, fmt.Sprintf(msg.EstimatedPop, lc.List(pop)))
	}
	if len(parts) == 0 {
		// The compute job may know of estimates the geography does not show.
		for _, def := range snap.MonthlyIndicators() {
			if v, ok := snap.Get(def.ID, c.Level, c.Code, period); ok && v.Estimated {
				parts = append(parts, msg.EstimatedValues)
				break
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return name + msg.Colon + strings.Join(parts, msg.ListSep) + "."
}

func defineIndicator(def catalogue.Indicator, lc locale.Locale, msg *messages) definition {
	lang := lc.Lang()
	out := definition{Name: def.Name.Text(lang), Unit: def.Unit.Text(lang), Source: def.Numerator.Dataset,
		Definition: def.Definition.Text(lang)}
	if s, ok := msg.Sources[def.Numerator.Dataset]; ok {
		out.Source = s
	}
	return out
}

// areaName names an area: the commune, and for a part of a split commune its
// postcode (and, in French, the area's label, which only exists in French).
func areaName(g *geography.Geography, a geography.Area, lang string) string {
	name := g.Name(geography.LevelCommune, a.NIS, lang)
	if a.Postcode == "" {
		return name
	}
	name += " " + a.Postcode
	if lang == "fr" && a.Label != "" {
		name += " (" + a.Label + ")"
	}
	return name
}

// lowerFirst lowers the first letter of a name used inside a sentence,
// leaving acronyms ("TDI") alone.
func lowerFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if next, _ := utf8.DecodeRuneInString(s[size:]); unicode.IsUpper(next) {
		return s
	}
	return string(unicode.ToLower(r)) + s[size:]
}
