package reports

import (
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
)

// missingValue is shown where the snapshot has no value.
const missingValue = "—"

// monthlyData is everything the monthly template prints, already worded and
// formatted in the report's language.
type monthlyData struct {
	T              *messages
	Title          string
	RunLine        string
	PopulationLine string
	PopulationEst  bool

	SummaryHeading string
	SummaryIntro   string
	Columns        []column
	Populations    []string
	Rows           []row

	Charts []figure

	EstimatedIntro string
	Estimated      []string
	Unassigned     string
	Suppression    string
	Change         string

	Definitions []definition
}

// column is one geography of the summary table.
type column struct {
	Level, Code string
	Name        string
	Estimated   bool
}

// row is one indicator of the summary table.
type row struct {
	Name, Unit string
	Cells      []cell
}

// cell is one value of the summary table. Indicator and Geography are printed
// as data attributes so that the value can be found by a program reading the
// document (and by the tests).
type cell struct {
	Indicator, Geography string
	Display              string
	Change               string
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

func (w *Writer) monthlyData(snap *indicators.Snapshot, period time.Time, lang string, msg *messages) (*monthlyData, error) {
	g := snap.Geography
	month := indicators.MonthName(period, lang)
	prev := period.AddDate(0, -1, 0)
	d := &monthlyData{
		T:              msg,
		Title:          fmt.Sprintf(msg.Title, month),
		SummaryHeading: fmt.Sprintf(msg.SummaryHeading, month),
		SummaryIntro:   fmt.Sprintf(msg.SummaryIntro, month, indicators.MonthName(prev, lang)),
		Suppression:    fmt.Sprintf(msg.Suppression, snap.MinCount, snap.MinCount),
		Change:         fmt.Sprintf(msg.Change, indicators.MonthName(prev, lang)),
	}

	runID, computed := snap.RunID, msg.Unknown
	if runID == "" {
		runID = msg.Unknown
	}
	if !snap.ComputedAt.IsZero() {
		computed = dateTime(snap.ComputedAt, lang, msg)
	}
	d.RunLine = fmt.Sprintf(msg.RunLine, runID, computed)
	regionPop, regionEst := g.Population(geography.LevelRegion, geography.RegionCode)
	popDate := msg.Unknown
	if t := g.PopulationDate(); !t.IsZero() {
		popDate = date(t, lang)
	}
	d.PopulationLine = fmt.Sprintf(msg.PopulationLine, indicators.FormatNumber(float64(regionPop), 0, lang), g.PopulationSource, popDate)
	d.PopulationEst = regionEst

	for _, b := range g.Bassins {
		d.Columns = append(d.Columns, column{Level: geography.LevelBassin, Code: b.Code, Name: g.Name(geography.LevelBassin, b.Code, lang)})
	}
	d.Columns = append(d.Columns, column{Level: geography.LevelRegion, Code: geography.RegionCode, Name: msg.Region})

	for i, c := range d.Columns {
		pop, _ := g.Population(c.Level, c.Code)
		d.Populations = append(d.Populations, indicators.FormatNumber(float64(pop), 0, lang))
		name := c.Name
		if c.Level == geography.LevelRegion {
			name = g.Name(c.Level, c.Code, lang)
		}
		if note := estimationNote(snap, c, period, name, lang, msg); note != "" {
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
		d.Unassigned = fmt.Sprintf(msg.Unassigned, joinList(names, msg), indicators.FormatNumber(float64(pop), 0, lang))
	}

	for _, def := range indicators.Catalogue {
		r := row{Name: def.Name(lang), Unit: def.Unit(lang)}
		for _, c := range d.Columns {
			r.Cells = append(r.Cells, summaryCell(snap, def.Code, c, period, lang, msg))
		}
		d.Rows = append(d.Rows, r)
		d.Definitions = append(d.Definitions, defineIndicator(def, lang, msg))
	}

	charts, err := w.charts(snap, period, lang, msg)
	if err != nil {
		return nil, err
	}
	d.Charts = charts
	return d, nil
}

func summaryCell(snap *indicators.Snapshot, indicator string, c column, period time.Time, lang string, msg *messages) cell {
	out := cell{Indicator: indicator, Geography: c.Code}
	v, ok := snap.Get(indicator, c.Level, c.Code, period)
	if !ok {
		out.Display, out.Missing = missingValue, true
		return out
	}
	out.Display = snap.Display(v, lang)
	out.Suppressed = snap.Suppressed(v)
	if prev, ok := snap.Get(indicator, c.Level, c.Code, period.AddDate(0, -1, 0)); ok {
		if pct, ok := snap.Change(v, prev); ok {
			out.Change = formatChange(pct, lang, msg)
		}
	}
	return out
}

// estimationNote says why the figures of a column rest on estimates, or
// returns "" when they do not: for a bassin, the areas assigned to it by
// default or with an estimated population; for the region, the areas with an
// estimated population (the split does not change the region's total).
func estimationNote(snap *indicators.Snapshot, c column, period time.Time, name, lang string, msg *messages) string {
	g := snap.Geography
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
		parts = append(parts, fmt.Sprintf(msg.EstimatedBoth, joinList(split, msg)))
		split, pop = nil, nil
	}
	if len(split) > 0 {
		parts = append(parts, fmt.Sprintf(msg.EstimatedSplit, joinList(split, msg)))
	}
	if len(pop) > 0 {
		parts = append(parts, fmt.Sprintf(msg.EstimatedPop, joinList(pop, msg)))
	}
	if len(parts) == 0 {
		// The compute job may know of estimates the geography does not show.
		for _, def := range indicators.Catalogue {
			if v, ok := snap.Get(def.Code, c.Level, c.Code, period); ok && v.Estimated {
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

func defineIndicator(def indicators.Definition, lang string, msg *messages) definition {
	out := definition{Name: def.Name(lang), Unit: def.Unit(lang), Source: def.Source}
	if s, ok := msg.Sources[def.Source]; ok {
		out.Source = s
	}
	switch def.Kind {
	case indicators.Rate:
		num := def.Numerator
		if n, ok := indicators.Lookup(def.Numerator); ok {
			num = n.Name(lang)
		}
		out.Definition = fmt.Sprintf(msg.RateDefinition, num, indicators.FormatNumber(def.Per, 0, lang))
	default:
		out.Definition = fmt.Sprintf(msg.CountDefinition, ofPhrase(def.Unit(lang), lang))
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

// formatChange writes a relative change as "+3,2 %" (French) or "+3,2%"
// (Dutch).
func formatChange(pct float64, lang string, msg *messages) string {
	s := indicators.FormatNumber(pct, 1, lang)
	if !strings.HasPrefix(s, "-") && strings.Trim(s, "0,") != "" {
		s = "+" + s
	}
	return s + msg.Percent
}

// joinList writes "a, b et c" / "a, b en c".
func joinList(items []string, msg *messages) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + msg.And + " " + items[len(items)-1]
}

// ofPhrase returns "de contacts" / "d'orientations" in French and the word
// itself in Dutch ("Aantal contacten").
func ofPhrase(word, lang string) string {
	if lang != "fr" {
		return word
	}
	if startsWithVowel(word) {
		return "d'" + word
	}
	return "de " + word
}

// monthSpan writes "de mars 2022 à février 2024" / "d'avril 2022 à mars 2024"
// or "van april 2022 tot maart 2024".
func monthSpan(from, to time.Time, lang string) string {
	f, t := indicators.MonthName(from, lang), indicators.MonthName(to, lang)
	if lang != "fr" {
		return "van " + f + " tot " + t
	}
	return ofPhrase(f, lang) + " à " + t
}

func startsWithVowel(s string) bool {
	for _, r := range s {
		return strings.ContainsRune("aeiouyàâéèêëîïôöûüAEIOUYÉÈ", r)
	}
	return false
}

// date writes "1er janvier 2020" / "1 januari 2020".
func date(t time.Time, lang string) string {
	day := strconv.Itoa(t.Day())
	if lang == "fr" && t.Day() == 1 {
		day = "1er"
	}
	return day + " " + indicators.MonthName(t, lang)
}

// dateTime writes an instant in Brussels time: "2 avril 2024 à 06:00".
func dateTime(t time.Time, lang string, msg *messages) string {
	local := t.In(brussels())
	return date(local, lang) + " " + msg.At + " " + local.Format("15:04")
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
