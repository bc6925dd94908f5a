package dashboards

import (
	"strings"
	"testing"
)

func TestCompletenessMarksGapsAfterTheFirstDelivery(t *testing.T) {
	months, rows := completeness(testDeliveries(), "fr")
	if len(months) != 12 || months[0] != "avr. 2024" || months[11] != "mars 2025" {
		t.Fatalf("months %v, want avr. 2024 … mars 2025", months)
	}
	if len(rows) != 2 || rows[0].Source != "combo" || rows[1].Source != "tdi" {
		t.Fatalf("rows %+v, want combo then tdi", rows)
	}
	render := func(r completenessRow) string {
		var cells []string
		for _, c := range r.Cells {
			switch {
			case c.Gap:
				cells = append(cells, "GAP")
			case c.Text == "":
				cells = append(cells, ".")
			default:
				cells = append(cells, c.Text)
			}
		}
		return strings.Join(cells, " ")
	}
	// combo: every month but May 2024; tdi: from December 2024, March 2025 missing.
	wantCombo := "1\u202f500 GAP 1\u202f500 1\u202f500 1\u202f500 1\u202f500 1\u202f500 1\u202f500 1\u202f500 1\u202f500 1\u202f500 1\u202f500"
	wantTDI := ". . . . . . . . 120 120 120 GAP"
	if got := render(rows[0]); got != wantCombo {
		t.Errorf("combo: %s\nwant:  %s", got, wantCombo)
	}
	if got := render(rows[1]); got != wantTDI {
		t.Errorf("tdi: %s\nwant: %s", got, wantTDI)
	}
	if m, r := completeness(nil, "nl"); m != nil || r != nil {
		t.Errorf("no deliveries must give no table")
	}
}
