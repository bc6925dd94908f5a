package indicators

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
)

// ExportRow is one value as exported for download: withheld values have no
// value nor numerator.
type ExportRow struct {
	Indicator   string   `json:"indicator"`
	Level       string   `json:"level"`
	Code        string   `json:"code"`
	NameFR      string   `json:"name_fr"`
	NameNL      string   `json:"name_nl"`
	Period      string   `json:"period"`
	Value       *float64 `json:"value"`
	Numerator   *float64 `json:"numerator"`
	Denominator float64  `json:"denominator"`
	Estimated   bool     `json:"estimated"`
	Suppressed  bool     `json:"suppressed"`
	RunID       string   `json:"run_id"`
}

// Export returns the snapshot's values for download, suppression applied
// unless unsuppressed (internal use only). keep selects values; nil keeps all.
func (s *Snapshot) Export(unsuppressed bool, keep func(Value) bool) []ExportRow {
	rows := make([]ExportRow, 0, len(s.Values))
	for _, v := range s.Values {
		if keep != nil && !keep(v) {
			continue
		}
		r := ExportRow{Indicator: v.Indicator, Level: v.Level, Code: v.Code, Period: v.Period.Format("2006-01"),
			Denominator: v.Denominator, Estimated: v.Estimated, RunID: v.RunID, NameFR: v.Code, NameNL: v.Code}
		if s.Geography != nil {
			r.NameFR, r.NameNL = s.Geography.Name(v.Level, v.Code, "fr"), s.Geography.Name(v.Level, v.Code, "nl")
		}
		if r.Suppressed = s.Suppressed(v) && !unsuppressed; !r.Suppressed {
			value, numerator := v.Value, v.Numerator
			r.Value, r.Numerator = &value, &numerator
		}
		rows = append(rows, r)
	}
	return rows
}

// WriteCSV writes rows as CSV with a header line.
func WriteCSV(out io.Writer, rows []ExportRow) error {
	w := csv.NewWriter(out)
	_ = w.Write([]string{"indicator", "level", "code", "name_fr", "name_nl", "period", "value", "numerator",
		"denominator", "estimated", "suppressed", "run_id"})
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	for _, r := range rows {
		_ = w.Write([]string{r.Indicator, r.Level, r.Code, r.NameFR, r.NameNL, r.Period, num(r.Value), num(r.Numerator),
			strconv.FormatFloat(r.Denominator, 'f', -1, 64), strconv.FormatBool(r.Estimated), strconv.FormatBool(r.Suppressed), r.RunID})
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
