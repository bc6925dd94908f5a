package locale

import (
	"strconv"
	"time"
)

var (
	monthsFR      = [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	monthsNL      = [12]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}
	shortMonthsFR = [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
	shortMonthsNL = [12]string{"jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."}
)

// MonthName returns the full name of a month: "mars" / "maart".
func (l Locale) MonthName(m time.Month) string {
	if l.Lang() == Dutch {
		return monthsNL[m-1]
	}
	return monthsFR[m-1]
}

// ShortMonthName returns the abbreviated name of a month: "janv." / "jan.".
func (l Locale) ShortMonthName(m time.Month) string {
	if l.Lang() == Dutch {
		return shortMonthsNL[m-1]
	}
	return shortMonthsFR[m-1]
}

// Month writes the calendar month of a period as stored: "mars 2024" /
// "maart 2024".
func (l Locale) Month(period time.Time) string {
	return l.MonthName(period.Month()) + " " + strconv.Itoa(period.Year())
}

// ShortMonth writes a period for chart axes: "mars 2024" / "mrt. 2024".
func (l Locale) ShortMonth(period time.Time) string {
	return l.ShortMonthName(period.Month()) + " " + strconv.Itoa(period.Year())
}

// MonthSpan writes a span of months: "de mars 2022 à février 2024",
// "d'avril 2022 à mars 2024" or "van april 2022 tot maart 2024".
func (l Locale) MonthSpan(from, to time.Time) string {
	f, t := l.Month(from), l.Month(to)
	if l.Lang() == Dutch {
		return "van " + f + " tot " + t
	}
	return of(f) + " à " + t
}

// Date writes a calendar date as stored: "1er janvier 2020" / "1 januari
// 2020".
func (l Locale) Date(d time.Time) string {
	day := strconv.Itoa(d.Day())
	if l.Lang() == French && d.Day() == 1 {
		day = "1er"
	}
	return day + " " + l.Month(d)
}

// DateTime writes an instant in the Locale's zone: "12 mars 2024 à 14:05" /
// "12 maart 2024 om 14:05"; NoValue for the zero time.
func (l Locale) DateTime(t time.Time) string {
	if t.IsZero() {
		return NoValue
	}
	t = t.In(l.Location())
	return l.Date(t) + l.Pick(" à ", " om ") + t.Format("15:04")
}

// Zone names the zone instants are written in, for a sentence such as
// "(heure de Bruxelles)": "heure de Bruxelles" / "Brusselse tijd", "heure
// UTC" / "UTC-tijd", else the zone's name.
func (l Locale) Zone() string {
	switch name := l.Location().String(); name {
	case "Europe/Brussels":
		return l.Pick("heure de Bruxelles", "Brusselse tijd")
	case "UTC":
		return l.Pick("heure UTC", "UTC-tijd")
	default:
		return l.Pick("fuseau horaire ", "tijdzone ") + name
	}
}

// PreviousMonth returns the last complete month before now, counted in the
// Locale's zone, as the first day of that month at midnight UTC (the way
// periods are stored).
func (l Locale) PreviousMonth(now time.Time) time.Time {
	local := now.In(l.Location())
	return time.Date(local.Year(), local.Month()-1, 1, 0, 0, 0, 0, time.UTC)
}
