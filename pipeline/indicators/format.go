package indicators

import (
	"strconv"

	"github.com/brusano/bassins/pipeline/locale"
)

// Display returns how a value is shown to readers: counts as whole numbers,
// rates with one decimal, small counts as "< MinCount" and values withheld to
// protect them as "n.p." (non publié) / "n.g." (niet gepubliceerd).
func (s *Snapshot) Display(v Value, lang string) string {
	if s.primary(v) {
		return "< " + strconv.Itoa(s.MinCount)
	}
	l := locale.New(lang, nil)
	if v.Suppressed || s.withheld(v) {
		return l.Withheld()
	}
	d, _ := s.Lookup(v.Indicator)
	return l.Number(v.Value, d.Decimals)
}

// Change returns the relative change in percent from prev to cur; ok is false
// when it cannot be computed or shown (no previous value, zero base, or either
// value suppressed).
func (s *Snapshot) Change(cur, prev Value) (percent float64, ok bool) {
	if prev.Value == 0 || s.Suppressed(cur) || s.Suppressed(prev) {
		return 0, false
	}
	return (cur.Value - prev.Value) / prev.Value * 100, true
}
