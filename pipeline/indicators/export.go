package indicators

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
)

// ExportRow is one value as exported for download, with what it is
// compared with. Withheld values have no value, numerator, interval nor
// comparisons; a comparison that is withheld or absent is empty.
type ExportRow struct {
	Indicator   string   `json:"indicator"`
	Level       string   `json:"level"`
	Code        string   `json:"code"`
	Breakdown   string   `json:"breakdown"`
	Category    string   `json:"category"`
	PeriodType  string   `json:"period_type"`
	Period      string   `json:"period"`
	Value       *float64 `json:"value"`
	Numerator   *float64 `json:"numerator"`
	Denominator *float64 `json:"denominator"`
	CILow       *float64 `json:"ci_low"`
	CIHigh      *float64 `json:"ci_high"`
	Previous    *float64 `json:"previous"`
	YearBefore  *float64 `json:"year_before"`
	RegionValue *float64 `json:"region_value"`
	// DiffersFromRegion is true when the value's 95 % interval excludes
	// the Region's value.
	DiffersFromRegion bool `json:"differs_from_region"`
	Estimated         bool `json:"estimated"`
	Incomplete        bool `json:"incomplete"`
	Suppressed        bool `json:"suppressed"`
	// PopulationDate is the reference date of a rate's population.
	PopulationDate string `json:"population_date"`
}

// PeriodLabel writes a period as 2025-01 (month), 2025-Q1 (quarter) or 2025
// (year): the form of the exports.
func PeriodLabel(periodType string, start time.Time) string {
	switch periodType {
	case catalogue.Quarter:
		return start.Format("2006") + "-Q" + strconv.Itoa(int(start.Month()-1)/3+1)
	case catalogue.Year:
		return start.Format("2006")
	}
	return start.Format("2006-01")
}

// Export returns the snapshot's values for download, suppression applied
// unless unsuppressed (internal use only). keep selects values; nil keeps all.
func (s *Snapshot) Export(unsuppressed bool, keep func(Value) bool) []ExportRow {
	rows := make([]ExportRow, 0, len(s.Values))
	ptr := func(x float64) *float64 { return &x }
	for _, v := range s.Values {
		if keep != nil && !keep(v) {
			continue
		}
		r := ExportRow{Indicator: v.Indicator, Level: v.Level, Code: v.Code, Breakdown: v.Breakdown, Category: v.Category,
			PeriodType: v.PeriodType, Period: PeriodLabel(v.PeriodType, v.Period), Estimated: v.Estimated,
			Incomplete: v.Incomplete}
		if !v.PopulationDate.IsZero() {
			r.PopulationDate = v.PopulationDate.Format(time.DateOnly)
		}
		if v.Denominator != 0 {
			r.Denominator = ptr(v.Denominator)
		}
		if r.Suppressed = s.Suppressed(v) && !unsuppressed; r.Suppressed {
			rows = append(rows, r)
			continue
		}
		r.Value, r.Numerator = ptr(v.Value), ptr(v.Numerator)
		c := s.compare(v, !unsuppressed)
		if !math.IsNaN(c.CILow) {
			r.CILow, r.CIHigh = ptr(c.CILow), ptr(c.CIHigh)
		}
		r.Previous, r.YearBefore, r.RegionValue = valueOf(c.Previous), valueOf(c.YearBefore), valueOf(c.Region)
		r.DiffersFromRegion = c.DiffersFromRegion
		rows = append(rows, r)
	}
	return rows
}

// valueOf returns the figure of a compared value, nil when there is none.
func valueOf(v *Value) *float64 {
	if v == nil {
		return nil
	}
	x := v.Value
	return &x
}

// ExportColumns are the columns of an export, in order.
var ExportColumns = []string{"indicator", "level", "code", "breakdown", "category", "period_type", "period",
	"value", "numerator", "denominator", "ci_low", "ci_high", "previous", "year_before", "region_value",
	"differs_from_region", "estimated", "incomplete", "suppressed", "population_date"}

// WriteCSV writes rows as CSV with a header line.
func WriteCSV(out io.Writer, rows []ExportRow) error {
	w := csv.NewWriter(out)
	_ = w.Write(ExportColumns)
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	for _, r := range rows {
		_ = w.Write([]string{r.Indicator, r.Level, r.Code, r.Breakdown, r.Category, r.PeriodType, r.Period,
			num(r.Value), num(r.Numerator), num(r.Denominator), num(r.CILow), num(r.CIHigh), num(r.Previous),
			num(r.YearBefore), num(r.RegionValue), strconv.FormatBool(r.DiffersFromRegion),
			strconv.FormatBool(r.Estimated), strconv.FormatBool(r.Incomplete), strconv.FormatBool(r.Suppressed),
			r.PopulationDate})
	}
	w.Flush()
	return w.Error()
}

// WriteJSON writes rows as an indented JSON array.
func WriteJSON(out io.Writer, rows []ExportRow) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}
