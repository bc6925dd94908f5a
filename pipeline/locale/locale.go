// Package locale holds how the product writes for its readers: the languages
// (French first, then Dutch), month names, Belgian number, date and time
// formats, the sign of a missing value and the words shared by the
// dashboards, the reports and the exports.
//
// Numbers follow one rule everywhere. French: thousands are grouped with a
// narrow no-break space (U+202F), decimals follow a comma, and a percent
// sign is preceded by a narrow no-break space ("1 234,5", "12,3 %"). Dutch:
// thousands are grouped with a full stop, decimals follow a comma, and the
// percent sign is written without a space ("1.234,5", "12,3%"). Texts that
// name a figure such as "10 000 habitants" write it the same way.
//
// Months and calendar dates (a report period, a reference date) are written
// as stored, without converting them to another zone; instants (when a job
// ran, when a file was loaded) are written in the zone the Locale is built
// with, the configured time zone of the product.
package locale

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Languages of the product's texts.
const (
	French = "fr"
	Dutch  = "nl"
)

// NoValue is written where there is no value to show.
const NoValue = "—"

// Separators of Belgian numbers (see the package documentation).
const (
	ThousandsFR = "\u202f"
	ThousandsNL = "."
	Decimal     = ","
)

// Languages returns the languages of the product, French first.
func Languages() []string { return []string{French, Dutch} }

// Normalize maps a requested language to one the product writes: anything
// but Dutch is French.
func Normalize(lang string) string {
	if strings.EqualFold(strings.TrimSpace(lang), Dutch) {
		return Dutch
	}
	return French
}

// Locale writes numbers, months, dates and shared words in one language, and
// instants in one time zone. The zero Locale writes French in UTC.
type Locale struct {
	lang string
	loc  *time.Location
}

// New returns the Locale of lang (normalized, see Normalize) showing instants
// in loc; a nil loc is UTC.
func New(lang string, loc *time.Location) Locale {
	if loc == nil {
		loc = time.UTC
	}
	return Locale{lang: Normalize(lang), loc: loc}
}

// Lang returns "fr" or "nl".
func (l Locale) Lang() string {
	if l.lang == Dutch {
		return Dutch
	}
	return French
}

// Location returns the zone instants are written in.
func (l Locale) Location() *time.Location {
	if l.loc == nil {
		return time.UTC
	}
	return l.loc
}

// Tag returns the BCP 47 tag of the language: "fr-BE" or "nl-BE".
func (l Locale) Tag() string { return l.Pick("fr-BE", "nl-BE") }

// Index returns 0 for French and 1 for Dutch, to index pairs of texts.
func (l Locale) Index() int {
	if l.Lang() == Dutch {
		return 1
	}
	return 0
}

// Pick returns the French or the Dutch text.
func (l Locale) Pick(fr, nl string) string {
	if l.Lang() == Dutch {
		return nl
	}
	return fr
}

// Number writes x rounded to decimals: "1 234,5" (fr, narrow no-break
// space) or "1.234,5" (nl). A value that rounds to zero has no minus sign.
func (l Locale) Number(x float64, decimals int) string {
	s := strconv.FormatFloat(math.Abs(x), 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	sep := l.Pick(ThousandsFR, ThousandsNL)
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
		b.WriteString(Decimal)
		b.WriteString(frac)
	}
	return b.String()
}

// Int writes a whole number such as a count or a population: "10 000" /
// "10.000".
func (l Locale) Int(n int64) string { return l.Number(float64(n), 0) }

// Percent writes a percentage with decimals: "12,3 %" (fr) or "12,3%" (nl).
func (l Locale) Percent(percent float64, decimals int) string {
	return l.Number(percent, decimals) + l.Pick("\u202f%", "%")
}

// Change writes a relative change in percent with one decimal and its sign:
// "+12,3 %", "-4,0 %", "0,0 %" (no sign when it rounds to zero).
func (l Locale) Change(percent float64) string {
	s := l.Number(percent, 1)
	if !strings.HasPrefix(s, "-") && strings.Trim(s, "0,") != "" {
		s = "+" + s
	}
	return s + l.Pick("\u202f%", "%")
}

// PerInhabitants names the base of a rate: "pour 10 000 habitants" / "per
// 10.000 inwoners".
func (l Locale) PerInhabitants(per float64) string {
	return l.Pick("pour ", "per ") + l.Number(per, 0) + l.Pick(" habitants", " inwoners")
}
