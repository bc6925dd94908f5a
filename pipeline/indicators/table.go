package indicators

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
)

// Line is one line of a monthly table: an indicator's total, or, for an
// indicator whose categories stay apart (total: false), one category of its
// first breakdown.
type Line struct {
	Indicator catalogue.Indicator
	Breakdown string
	Category  string
}

// Key returns where the line's value is for a geography and month.
func (l Line) Key(level, code string, month time.Time) Key {
	return Key{l.Indicator.ID, catalogue.Month, month, level, code, l.Breakdown, l.Category}
}

// Name returns the line's name in lang: the indicator's name, followed by
// the category for a line of one category ("Heures prestées — fedito").
func (l Line) Name(lang string) string {
	name := l.Indicator.Name.Text(lang)
	if l.Category != "" {
		name += " — " + l.Category
	}
	return name
}

// ThemeLines is a theme of the catalogue with its lines.
type ThemeLines struct {
	Theme catalogue.Theme
	Lines []Line
}

// MonthlyTable returns the lines of the monthly pages and report for a
// month, grouped by theme in the catalogue's order; a theme without lines
// is left out. An indicator whose categories stay apart has a line for each
// category that has a monthly value that month, in any geography.
func (s *Snapshot) MonthlyTable(month time.Time) []ThemeLines {
	if s.Catalogue == nil {
		return nil
	}
	categories := map[string]map[string]bool{} // indicator -> categories
	for _, v := range s.Values {
		if v.PeriodType == catalogue.Month && v.Period.Equal(month) && v.Breakdown != "" {
			if categories[v.Indicator] == nil {
				categories[v.Indicator] = map[string]bool{}
			}
			categories[v.Indicator][v.Breakdown+"\x00"+v.Category] = true
		}
	}
	var out []ThemeLines
	for _, th := range s.Catalogue.Themes {
		group := ThemeLines{Theme: th}
		for _, ind := range s.Catalogue.Indicators {
			if ind.Theme != th.ID || !slices.Contains(ind.Periods, catalogue.Month) {
				continue
			}
			if ind.HasTotal() {
				group.Lines = append(group.Lines, Line{Indicator: ind})
				continue
			}
			var cats []string
			for bc := range categories[ind.ID] {
				if b, _, _ := cut(bc); b == ind.Breakdowns[0] {
					cats = append(cats, bc)
				}
			}
			sort.Strings(cats)
			for _, bc := range cats {
				b, c, _ := cut(bc)
				group.Lines = append(group.Lines, Line{Indicator: ind, Breakdown: b, Category: c})
			}
		}
		if len(group.Lines) > 0 {
			out = append(out, group)
		}
	}
	return out
}

func cut(bc string) (breakdown, category string, ok bool) { return strings.Cut(bc, "\x00") }

// PopulationOutdated reports whether the population a value rests on is
// dated more than two years before the start of the value's period.
func PopulationOutdated(v Value) bool {
	return !v.PopulationDate.IsZero() && v.PopulationDate.AddDate(2, 0, 0).Before(v.Period)
}

// OldestOutdated returns the older of oldest and the date of the population
// v rests on when that population is outdated (see PopulationOutdated), else
// oldest unchanged; the zero oldest is none yet. Folded over the values a
// page shows, it gives the population date its warning names.
func OldestOutdated(oldest time.Time, v Value) time.Time {
	if PopulationOutdated(v) && (oldest.IsZero() || v.PopulationDate.Before(oldest)) {
		return v.PopulationDate
	}
	return oldest
}
