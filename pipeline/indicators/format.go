package indicators

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatNumber writes x with the given decimals the way Belgian French ("fr":
// 1 234,5 with a narrow no-break space) or Dutch ("nl": 1.234,5) readers
// expect.
func FormatNumber(x float64, decimals int, lang string) string {
	s := strconv.FormatFloat(math.Abs(x), 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	sep := "\u202f"
	if lang == "nl" {
		sep = "."
	}
	var b strings.Builder
	if x < 0 && strings.Trim(s, "0.") != "" {
		b.WriteString("-")
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString(",")
		b.WriteString(frac)
	}
	return b.String()
}

// Display returns how a value is shown to readers: counts as whole numbers,
// rates with one decimal, small counts as "< MinCount" and values withheld to
// protect them as "n.p." (non publié) / "n.g." (niet gepubliceerd).
func (s *Snapshot) Display(v Value, lang string) string {
	if s.primary(v) {
		return "< " + strconv.Itoa(s.MinCount)
	}
	if s.withheld(v) {
		if lang == "nl" {
			return "n.g."
		}
		return "n.p."
	}
	d, _ := Lookup(v.Indicator)
	if d.Kind == Rate {
		return FormatNumber(v.Value, 1, lang)
	}
	return FormatNumber(v.Value, 0, lang)
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

var (
	monthsFR = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	monthsNL = []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}
)

// MonthName returns "mars 2024" or "maart 2024".
func MonthName(m time.Time, lang string) string {
	names := monthsFR
	if lang == "nl" {
		names = monthsNL
	}
	return names[m.Month()-1] + " " + strconv.Itoa(m.Year())
}
